# The smallest BenchHub job file: runs on this machine with nothing but Python.
#
#   bh apply examples/local/hello/job.hcl --auto-approve
#   bh status
#   bh logs greet

job "greet" {
  command = ["python3", "-c", "import platform; print(f'hello from BenchHub on {platform.node()}')"]
}

# Runs after "greet" passed, once per value of `n`.
job "square" {
  params {
    n = [2, 3]
  }
  command    = ["python3", "-c", "print(${param.n} ** 2)"]
  depends_on = ["greet"]
}
