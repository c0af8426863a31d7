"""The aws provider's configuration: its attributes (GetSchema) and the checked values (Configure).

Credentials are never part of it: boto3's standard chain finds them (environment, shared files with
`profile`, SSO, instance role), and BenchHub neither logs nor stores them.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.protobuf import struct_pb2

from benchhub.proto.provider.v1 import provider_pb2 as pb
from benchhub.providers.sdk import settings
from benchhub.providers.sdk.settings import Setting, Type, error

DEFAULT_AMI_PARAMETER = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
DEFAULT_KEY_DIR = "~/.cache/benchhub/aws/keys"

SETTINGS = (
    Setting("regions", Type.TYPE_LIST, "Regions to offer and allocate in.", default=["us-east-1"]),
    Setting("profile", Type.TYPE_STRING, "Named profile of boto3's shared config (credentials chain)."),
    Setting("endpoint_url", Type.TYPE_STRING, "EC2/SSM endpoint to talk to instead of AWS (test endpoints)."),
    Setting("ami", Type.TYPE_STRING, "AMI id for every instance (default: resolve `ami_parameter`)."),
    Setting(
        "ami_parameter",
        Type.TYPE_STRING,
        "SSM public parameter naming the AMI, resolved per region.",
        default=DEFAULT_AMI_PARAMETER,
    ),
    Setting("ssh_user", Type.TYPE_STRING, "Login user of the AMI.", default="ec2-user"),
    Setting("subnet_id", Type.TYPE_STRING, "Subnet to launch in (default: the default VPC's)."),
    Setting("security_group_id", Type.TYPE_STRING, "Security group to use instead of a BenchHub-made one."),
    Setting(
        "ssh_cidr",
        Type.TYPE_STRING,
        "Addresses (CIDR, e.g. your public IP/32) the BenchHub-made security group lets reach SSH; "
        "required without `security_group_id`.",
    ),
    Setting("spot", Type.TYPE_BOOL, "Offer spot instances too.", default=True),
    Setting("instance_types", Type.TYPE_LIST, "Instance types to offer (default: all in the catalog)."),
    Setting("catalog", Type.TYPE_STRING, "Price catalog CSV (default: the bundled snapshot)."),
    Setting("catalog_max_age_days", Type.TYPE_NUMBER, "Warn when the catalog is older.", default=90),
    Setting("spot_price_ttl_seconds", Type.TYPE_NUMBER, "How long live spot prices are reused.", default=300),
    Setting(
        "spot_interruption_rate",
        Type.TYPE_NUMBER,
        "Assumed spot interruptions per hour (AWS publishes no live figure).",
        default=0.01,
    ),
    Setting("root_volume_gib", Type.TYPE_NUMBER, "Root disk size of every instance.", default=30),
    Setting(
        "use_private_ip", Type.TYPE_BOOL, "SSH to the private address (host inside the VPC).", default=False
    ),
    Setting(
        "ssh_host_override",
        Type.TYPE_STRING,
        "host:port to SSH to instead of the instance's address: for test endpoints whose instances do "
        "not boot, or a tunnel.",
    ),
    Setting(
        "remote_dir",
        Type.TYPE_STRING,
        "Directory on the instance holding the jobs' sandboxes (relative to the login user's home).",
        default=".benchhub",
    ),
    Setting(
        "key_dir", Type.TYPE_STRING, "Where ephemeral SSH keys live until Release.", default=DEFAULT_KEY_DIR
    ),
    Setting("allocate_timeout_seconds", Type.TYPE_NUMBER, "Give up waiting for running + SSH.", default=600),
    Setting(
        "interruption_poll_seconds",
        Type.TYPE_NUMBER,
        "How often Run checks for spot interruption.",
        default=5,
    ),
)


@dataclass(frozen=True)
class AwsConfig:
    regions: tuple[str, ...]
    profile: str | None
    endpoint_url: str | None
    ami: str | None
    ami_parameter: str
    ssh_user: str
    subnet_id: str | None
    security_group_id: str | None
    ssh_cidr: str | None
    spot: bool
    instance_types: tuple[str, ...]
    catalog: Path | None
    catalog_max_age: dt.timedelta
    spot_price_ttl: float
    spot_interruption_rate: float
    root_volume_gib: int
    use_private_ip: bool
    ssh_host_override: tuple[str, int] | None
    remote_dir: str
    key_dir: Path
    allocate_timeout: float
    interruption_poll: float


def parse(config: struct_pb2.Struct) -> tuple[AwsConfig, list[pb.Diagnostic]]:
    values, diagnostics = settings.parse(config, SETTINGS)
    override = _host_port(values["ssh_host_override"], diagnostics)
    if not values["regions"]:
        diagnostics.append(error("regions must name at least one region", "regions"))
    if not values["security_group_id"]:
        _check_cidr(values["ssh_cidr"], diagnostics)
    parsed = AwsConfig(
        regions=tuple(values["regions"]),
        profile=values["profile"] or None,
        endpoint_url=values["endpoint_url"] or None,
        ami=values["ami"] or None,
        ami_parameter=values["ami_parameter"],
        ssh_user=values["ssh_user"],
        subnet_id=values["subnet_id"] or None,
        security_group_id=values["security_group_id"] or None,
        ssh_cidr=values["ssh_cidr"] or None,
        spot=values["spot"],
        instance_types=tuple(values["instance_types"] or ()),
        catalog=Path(values["catalog"]).expanduser() if values["catalog"] else None,
        catalog_max_age=dt.timedelta(days=float(values["catalog_max_age_days"])),
        spot_price_ttl=float(values["spot_price_ttl_seconds"]),
        spot_interruption_rate=float(values["spot_interruption_rate"]),
        root_volume_gib=int(values["root_volume_gib"]),
        use_private_ip=values["use_private_ip"],
        ssh_host_override=override,
        remote_dir=values["remote_dir"],
        key_dir=Path(values["key_dir"]).expanduser(),
        allocate_timeout=float(values["allocate_timeout_seconds"]),
        interruption_poll=float(values["interruption_poll_seconds"]),
    )
    return parsed, diagnostics


def _host_port(value: Any, diagnostics: list[pb.Diagnostic]) -> tuple[str, int] | None:
    if not value:
        return None
    host, _, port = str(value).rpartition(":")
    if not host or not port.isdigit():
        diagnostics.append(error("ssh_host_override must be host:port", "ssh_host_override"))
        return None
    return host, int(port)


def _check_cidr(value: Any, diagnostics: list[pb.Diagnostic]) -> None:
    if not value:
        diagnostics.append(
            error(
                "set ssh_cidr (e.g. your public IP/32) or security_group_id",
                "ssh_cidr",
                detail="BenchHub's own security group only lets the given addresses reach SSH.",
            )
        )
        return
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        diagnostics.append(error(f"ssh_cidr {value!r} is not a CIDR block", "ssh_cidr"))
