"""Job files (HCL) -> a typed, checked `Config`.

    from benchhub.host.config import load_config, topological_order, config_digest
    config = load_config("job.hcl")            # ConfigError with file:line:col on any mistake
    for job in topological_order(config.jobs): ...

The language, in short (`tests/data/config/good.hcl` uses all of it):

    settings { state_path = ".bh/state.db"  parallelism = 2  budget = "20 USD" }
    provider "docker" { host = "..." }        # checked later against the provider's schema
    job "sort" {
      command = ["bin/sort", "--size", "${param.size}"]   # or a string, run by sh -c
      env = { ALGO = "${param.algo}" }  workdir = "run"  image = "python:3.11"
      params { size = [1000, 10000]  algo = "quick" }   # lists expand as a matrix
      param "threads" { values = [1, 8]  target = "env"  key = "THREADS" }
      source { path = "."  ref = "main" }     # or source = "."
      resources { cpu = 2  memory = "2GiB"  gpu = 0  disk = "10GB"  nodes = 1  arch = "arm64" }
      placement { providers = ["aws"]  regions = ["eu-west-1"]  spot = "prefer"  max_price = 0.5 }
      depends_on = ["build"]  when = "on_success"  # or "always", "on_failure"
      outputs = { report = "out/*.json" }  inputs = { "bin/sort" = job.build.outputs.binary }
      timeout = "10m"  expected_duration = "90s"  retries = 1  exclusive = true  provider = "docker"
      framework "gobench" { ... }             # instead of command; checked by benchhub.frameworks
    }

See `loader` for the decisions (implicit `local` provider, matrix dependencies, implied
dependencies of inputs) and `model` for the types.
"""

from benchhub.host.config.dag import dependants, find_cycle, topological_order
from benchhub.host.config.digest import config_digest
from benchhub.host.config.errors import ConfigErrors, Position
from benchhub.host.config.jobs import FrameworkValidator
from benchhub.host.config.loader import load_config, parse_config
from benchhub.host.config.model import (
    LOCAL_PROVIDER,
    Budget,
    Config,
    Framework,
    Input,
    JobSpec,
    Parameter,
    ParamValue,
    Placement,
    ProviderConfig,
    Resources,
    Settings,
    Source,
    Spot,
    Target,
    When,
)
from benchhub.host.config.params import format_value
from benchhub.host.config.provider_schema import check_provider_config

__all__ = [
    "LOCAL_PROVIDER",
    "Budget",
    "Config",
    "ConfigErrors",
    "Framework",
    "FrameworkValidator",
    "Input",
    "JobSpec",
    "ParamValue",
    "Parameter",
    "Placement",
    "Position",
    "ProviderConfig",
    "Resources",
    "Settings",
    "Source",
    "Spot",
    "Target",
    "When",
    "check_provider_config",
    "config_digest",
    "dependants",
    "find_cycle",
    "format_value",
    "load_config",
    "parse_config",
    "topological_order",
]
