job "build" {
  command = "make"
}

job "test" {
  command    = "make test"
  depends_on = ["biuld", job.build]
}
