job "empty" {
  retries = 1
}
