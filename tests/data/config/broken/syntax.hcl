job "a" {
  command = "true"
  env = {
    A = 
  }
}
