settings {
  budget = "20 dollars"
}

job "a" {
  command           = "true"
  timeout           = "10 minutes"
  expected_duration = "1h30"
  resources {
    memory = "2 GX"
    disk   = "lots"
    cpu    = 0
  }
}
