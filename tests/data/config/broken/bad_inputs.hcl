job "build" {
  command = "make"
  outputs = {
    binary = "bin/*"
  }
}

job "matrix" {
  command = "make"
  params {
    n = [1, 2]
  }
  outputs = {
    log = "out.log"
  }
}

job "run" {
  command = "run"
  inputs = {
    a = job.build.outputs.binary
    b = job.build.outputs.library
    c = job.nope.outputs.binary
    d = job.matrix.outputs.log
    e = "bin/sort"
  }
}
