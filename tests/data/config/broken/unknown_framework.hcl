job "a" {
  framework "gobenchh" {
    count = 3
  }
}

job "b" {
  framework "gobench" {
    count    = "three"
    packages = ["./..."]
  }
}
