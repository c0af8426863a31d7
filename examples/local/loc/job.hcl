# Counting the lines of code of two trees of this repository, three ways, timed by hyperfine.
#
#   bh apply examples/local/loc/job.hcl --auto-approve
#   bh compare tree=frameworks tree=host    # the same three counters on two trees

job "loc" {
  source = "../../.."
  params {
    tree = ["frameworks", "host"]
  }
  framework "hyperfine" {
    commands = [
      "python3 examples/local/loc/loc.py bytes ${param.tree}",
      "python3 examples/local/loc/loc.py text ${param.tree}",
      "find ${param.tree} -name '*.py' | xargs cat | wc -l",
    ]
    names  = ["python-bytes", "python-text", "find-wc"]
    runs   = 10
    warmup = 1
  }
}
