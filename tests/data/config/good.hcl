# Every feature of the job-file language, used once.
settings {
  state_path  = ".bh/state.db"
  parallelism = 2
  budget      = "20 USD"
}

provider "local" {
  max_jobs = 4
}

provider "docker" {
  host = "unix:///var/run/docker.sock"
}

job "build" {
  command = "make sort"
  source {
    path = "src"
  }
  outputs = {
    binary = "bin/sort"
  }
  timeout = "10m"
}

job "sort" {
  command = ["bin/sort", "--size", "${param.size}", "--algo=${param.algo}"]
  env = {
    SORT_SEED = "42"
    SORT_ALGO = "${param.algo}"
  }
  params {
    size = [1000, 10000]
    algo = ["quick", "merge"]
    ratio = 0.5
  }
  param "threads" {
    value  = 2
    target = "env"
    key    = "THREADS"
  }
  inputs = {
    "bin/sort" = job.build.outputs.binary
  }
  resources {
    cpu    = 2
    memory = "2GiB"
    disk   = "10GB"
    arch   = "amd64"
  }
  placement {
    providers = ["local", "docker"]
    regions   = ["local"]
    spot      = "prefer"
    max_price = 0.5
  }
  expected_duration = "1m30s"
  retries           = 1
  exclusive         = true
  workdir           = "run/${param.size}"
}

job "report" {
  depends_on = ["sort"]
  when       = "always"
  provider   = "docker"
  image      = "python:3.11-slim"
  framework "command" {
    command = ["python", "report.py"]
    count   = 3
  }
}
