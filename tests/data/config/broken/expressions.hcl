job "a" {
  command = "true"
  retries = 1 + 2
  timeout = max(1, 2)
  workdir = "x" == "y" ? "a" : "b"
}
