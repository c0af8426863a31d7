job "a" {
  command = "true"
  source {
    path = "no/such/dir"
  }
}
