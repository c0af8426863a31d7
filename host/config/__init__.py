"""Job files (HCL) -> a typed, checked `Config`.

    from benchhub.host.config import load_config, topological_order, config_digest
    config = load_config("job.hcl")            # ConfigError with file:line:col on any mistake
    for job in topological_order(config.jobs): ...

See `loader` for the language decisions (implicit `local` provider, matrix dependencies, implied
dependencies of inputs) and `model` for the types.
"""

from benchhub.host.config.dag import dependants, find_cycle, topological_order
from benchhub.host.config.digest import config_digest
from benchhub.host.config.errors import ConfigErrors, Position
from benchhub.host.config.jobs import FrameworkValidator, format_value
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
