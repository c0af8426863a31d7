# Substring search: four implementations, `go test -bench` through the gobench framework.
#
#   bh apply examples/local/strstr/job.hcl --auto-approve
#   bh compare impl=naive impl=horspool     # two parameter sets of the newest run
#   bh compare impl=stdlib impl=kmp --format markdown

job "strstr-test" {
  source = "."
  env    = { GOFLAGS = "-mod=mod", GOPROXY = "off" }
  framework "gotest" {}
}

job "strstr" {
  source     = "."
  depends_on = ["strstr-test"]
  env        = { STRSTR_IMPL = "${param.impl}", GOFLAGS = "-mod=mod", GOPROXY = "off" }
  params {
    impl = ["naive", "kmp", "horspool", "stdlib"]
  }
  framework "gobench" {
    bench     = "Index"
    count     = 6
    benchtime = "200x"
  }
}
