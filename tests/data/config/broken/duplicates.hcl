job "a" {
  command = "true"
  command = "false"
}

job "a" {
  command = "true"
}

job "b" {
  command = "true"
  resources {
    cpu = 1
  }
  resources = {
    cpu = 2
  }
  params {
    n = 1
  }
  param "n" {
    value = 2
  }
}
