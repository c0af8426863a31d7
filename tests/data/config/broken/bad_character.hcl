job "a" {
  command = "true"
  retries = @
}
