job "a" {
  comand = "true"
  resources {
    cpu   = 1
    memroy = "1GiB"
  }
}
