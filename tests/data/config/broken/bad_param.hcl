job "sort" {
  command = ["sort", "--size", "${param.sise}", "${env.HOME}"]
  env = {
    ALGO = "algo-${param.algo}"
  }
  params {
    size = [10, 100]
    none = []
  }
}
