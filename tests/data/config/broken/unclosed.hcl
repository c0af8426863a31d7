job "a" {
  command = ["true",
