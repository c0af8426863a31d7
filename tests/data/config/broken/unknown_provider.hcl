provider "docker" {}

job "a" {
  command  = "true"
  provider = "dokcer"
  placement {
    providers = ["local", "aws"]
  }
}
