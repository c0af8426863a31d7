# Sorting algorithms at two input sizes: a 4 x 2 parameter matrix, pure Python, a few seconds.
#
#   bh apply examples/local/sort/job.hcl --auto-approve
#   bh results
#   bh compare algo=merge algo=quick        # two parameter sets of the newest run
#   bh compare size=200 size=2000

job "sort" {
  source = "."
  params {
    algo = ["insertion", "merge", "quick", "builtin"]
    size = [200, 2000]
  }
  framework "command" {
    command = ["python3", "sort.py", "${param.algo}", "${param.size}"]
    count   = 6
    warmup  = 1
    regex   = { sort = "sort_seconds=([0-9.e+-]+)" }
    units   = { sort = "s" }
  }
}
