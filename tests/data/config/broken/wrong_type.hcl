settings {
  parallelism = "two"
}

job "a" {
  command   = 42
  retries   = -1
  exclusive = "yes"
  when      = "on_succes"
  env = {
    N = [1, 2]
  }
  placement {
    spot = "sometimes"
  }
}
