job "a" {
  command    = "true"
  depends_on = ["c"]
}

job "b" {
  command    = "true"
  depends_on = ["a"]
}

job "c" {
  command    = "true"
  depends_on = ["b"]
}
