jobs "a" {
  command = "true"
}

job "b" {
  command = "true"
  placment {
    spot = true
  }
}
