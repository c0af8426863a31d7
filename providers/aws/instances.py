"""EC2 objects of one allocation: its instance, key pair and (shared, BenchHub-made) security group.

Every object carries the tags of `benchhub.providers.sdk.vm.tags`; the instance is found again by its
idempotency token or allocation tag, never by remembering ids.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import botocore.exceptions

from benchhub.providers.aws.config import AwsConfig
from benchhub.providers.aws.errors import error_code_of, translated
from benchhub.providers.aws.regions import Regions
from benchhub.providers.sdk.errors import CapacityError, InvalidError, TransientError
from benchhub.providers.sdk.vm import tags as bhtags

LIVE_STATES = ("pending", "running", "stopping", "stopped")
SECURITY_GROUP_PREFIX = "benchhub-ssh-"
# Spot request status codes that mean AWS is taking (or took) the instance away.
INTERRUPTION_CODES = frozenset(
    {
        "marked-for-termination",
        "marked-for-stop",
        "marked-for-hibernation",
        "instance-terminated-by-price",
        "instance-terminated-no-capacity",
        "instance-terminated-capacity-oversubscribed",
        "instance-stopped-by-price",
        "instance-stopped-no-capacity",
    }
)


def tag_specs(resource: str, tags: Mapping[str, str]) -> list[dict[str, Any]]:
    return [{"ResourceType": resource, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]


def tags_of(described: Mapping[str, Any]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in described.get("Tags", [])}


def filters(wanted: Mapping[str, str], states: tuple[str, ...] = LIVE_STATES) -> list[dict[str, Any]]:
    found = [{"Name": f"tag:{key}", "Values": [value]} for key, value in wanted.items()]
    return [*found, {"Name": "instance-state-name", "Values": list(states)}]


def client_token(token: str) -> str:
    """EC2 ClientTokens are at most 64 ASCII characters."""
    return token if len(token) <= 64 and token.isascii() else hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Launch:
    name: str
    instance_type: str
    zone: str
    spot: bool
    public_key: str
    tags: dict[str, str]
    token: str


class Ec2Allocations:
    """The EC2 calls behind Allocate, Run's interruption check, Release and ListAllocations."""

    def __init__(self, config: AwsConfig, regions: Regions) -> None:
        self.config, self.regions = config, regions

    def instances(self, region: str, wanted: Mapping[str, str]) -> list[dict[str, Any]]:
        with translated("listing instances", region=region):
            pages = (
                self.regions.ec2(region).get_paginator("describe_instances").paginate(Filters=filters(wanted))
            )
            return [i for page in pages for r in page["Reservations"] for i in r["Instances"]]

    def by_token(self, region: str, token: str) -> dict[str, Any] | None:
        found = self.instances(region, {bhtags.MANAGED: "true", bhtags.TOKEN: token})
        return found[0] if found else None

    def by_allocation(self, region: str, name: str) -> list[dict[str, Any]]:
        return self.instances(region, {bhtags.MANAGED: "true", bhtags.ALLOCATION: name})

    def describe(self, region: str, instance_id: str) -> dict[str, Any]:
        with translated(f"describing {instance_id}", region=region):
            reservations = self.regions.ec2(region).describe_instances(InstanceIds=[instance_id])[
                "Reservations"
            ]
        instance: dict[str, Any] = reservations[0]["Instances"][0]
        return instance

    # -- launching ----------------------------------------------------------------------------------

    def import_key(self, region: str, launch: Launch) -> None:
        ec2 = self.regions.ec2(region)
        specs = tag_specs("key-pair", launch.tags)
        with translated("importing the SSH key", region=region):
            try:
                ec2.import_key_pair(
                    KeyName=launch.name, PublicKeyMaterial=launch.public_key.encode(), TagSpecifications=specs
                )
            except botocore.exceptions.ClientError as error:
                if error_code_of(error) != "InvalidKeyPair.Duplicate":
                    raise
                ec2.delete_key_pair(
                    KeyName=launch.name
                )  # left by an earlier attempt: replace it
                ec2.import_key_pair(
                    KeyName=launch.name, PublicKeyMaterial=launch.public_key.encode(), TagSpecifications=specs
                )

    def security_group(self, region: str) -> str:
        """The configured group, or BenchHub's own (SSH from `ssh_cidr` only) in the instance's VPC."""
        if self.config.security_group_id:
            return self.config.security_group_id
        cidr = str(self.config.ssh_cidr)
        name = SECURITY_GROUP_PREFIX + hashlib.sha256(cidr.encode()).hexdigest()[:12]
        ec2 = self.regions.ec2(region)
        with translated("preparing the security group", region=region):
            vpc = self._vpc(ec2, region)
            existing = ec2.describe_security_groups(
                Filters=[{"Name": "group-name", "Values": [name]}, {"Name": "vpc-id", "Values": [vpc]}]
            )["SecurityGroups"]
            if existing:
                return str(existing[0]["GroupId"])
            group = ec2.create_security_group(
                GroupName=name,
                Description=f"BenchHub: SSH from {cidr} only",
                VpcId=vpc,
                TagSpecifications=tag_specs("security-group", {bhtags.MANAGED: "true"}),
            )["GroupId"]
            ec2.authorize_security_group_ingress(
                GroupId=group,
                IpPermissions=[
                    {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": cidr}]}
                ],
            )
            return str(group)

    def _vpc(self, ec2: Any, region: str) -> str:
        if self.config.subnet_id:
            subnets = ec2.describe_subnets(SubnetIds=[self.config.subnet_id])["Subnets"]
            return str(subnets[0]["VpcId"])
        vpcs = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"]
        if not vpcs:
            raise InvalidError(f"{region} has no default VPC: set subnet_id", region=region)
        return str(vpcs[0]["VpcId"])

    def launch(self, region: str, launch: Launch, security_group: str) -> dict[str, Any]:
        image = self.regions.image(region, self.config.ami, self.config.ami_parameter)
        params: dict[str, Any] = {
            "ImageId": image.image_id,
            "InstanceType": launch.instance_type,
            "MinCount": 1,
            "MaxCount": 1,
            "KeyName": launch.name,
            "SecurityGroupIds": [security_group],
            "ClientToken": client_token(launch.token),
            "InstanceInitiatedShutdownBehavior": "terminate",
            "BlockDeviceMappings": [
                {
                    "DeviceName": image.root_device,
                    "Ebs": {"VolumeSize": self.config.root_volume_gib, "DeleteOnTermination": True},
                }
            ],
            "TagSpecifications": [
                *tag_specs("instance", {**launch.tags, "Name": launch.name}),
                *tag_specs("volume", launch.tags),
            ],
        }
        if self.config.subnet_id:
            params["SubnetId"] = self.config.subnet_id
        elif launch.zone:
            params["Placement"] = {"AvailabilityZone": launch.zone}
        if launch.spot:
            params["InstanceMarketOptions"] = {
                "MarketType": "spot",
                "SpotOptions": {"SpotInstanceType": "one-time", "InstanceInterruptionBehavior": "terminate"},
            }
        meta = {"region": region, "instance_type": launch.instance_type}
        with translated(f"launching {launch.instance_type} in {region}", **meta):
            instance: dict[str, Any] = self.regions.ec2(region).run_instances(**params)["Instances"][0]
        return instance

    # -- watching -----------------------------------------------------------------------------------

    def interruption(self, region: str, instance_id: str) -> str | None:
        """Why a spot instance is being or was taken away, or None while it is not.

        Signals, in order: the instance's state (shutting-down, terminated, stopping, stopped) and, when the
        instance came from a spot request, that request's status code (AWS marks it a couple of minutes
        before the instance goes).
        """
        instance = self.describe(region, instance_id)
        if instance.get("InstanceLifecycle") != "spot":
            return None
        state = instance["State"]["Name"]
        if state not in ("pending", "running"):
            return f"spot instance {instance_id} was interrupted (state {state})"
        request_id = instance.get("SpotInstanceRequestId")
        if not request_id:
            return None
        with translated("reading the spot request", region=region):
            requests = self.regions.ec2(region).describe_spot_instance_requests(
                SpotInstanceRequestIds=[request_id]
            )["SpotInstanceRequests"]
        status = requests[0].get("Status", {}) if requests else {}
        if status.get("Code") in INTERRUPTION_CODES:
            return f"spot instance {instance_id} is being interrupted: {status['Code']}"
        return None

    # -- releasing ----------------------------------------------------------------------------------

    def release(self, region: str, name: str, wait_seconds: float = 120.0) -> bool:
        """Terminate the allocation's instances, delete its key pair and, when no longer used, BenchHub's
        security group. True when something was there to release."""
        ec2 = self.regions.ec2(region)
        instances = self.by_allocation(region, name)
        groups = {g["GroupId"] for i in instances for g in i.get("SecurityGroups", [])}
        if instances:
            with translated(f"terminating {name}", region=region):
                ec2.terminate_instances(InstanceIds=[i["InstanceId"] for i in instances])
        with translated(f"deleting key pair {name}", region=region):
            keys = ec2.describe_key_pairs(Filters=[{"Name": "key-name", "Values": [name]}])["KeyPairs"]
            if keys:
                ec2.delete_key_pair(KeyName=name)
        for group in groups:
            self._delete_group_when_unused(region, group, [i["InstanceId"] for i in instances], wait_seconds)
        return bool(instances or keys)

    def _delete_group_when_unused(
        self, region: str, group: str, terminating: list[str], wait_seconds: float
    ) -> None:
        ec2 = self.regions.ec2(region)
        with translated(f"checking security group {group}", region=region):
            described = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"]
            if not described or tags_of(described[0]).get(bhtags.MANAGED) != "true":
                return
            users = ec2.describe_instances(
                Filters=[
                    {"Name": "instance.group-id", "Values": [group]},
                    {"Name": "instance-state-name", "Values": list(LIVE_STATES)},
                ]
            )["Reservations"]
            if any(i["InstanceId"] not in terminating for r in users for i in r["Instances"]):
                return
            try:
                if terminating:
                    ec2.get_waiter("instance_terminated").wait(
                        InstanceIds=terminating,
                        WaiterConfig={"Delay": 2, "MaxAttempts": max(int(wait_seconds / 2), 1)},
                    )
                ec2.delete_security_group(GroupId=group)
            except botocore.exceptions.WaiterError:
                return  # still terminating: a later release or `bh gc` deletes the group
            except botocore.exceptions.ClientError as error:
                if error_code_of(error) not in ("DependencyViolation", "InvalidGroup.NotFound"):
                    raise

    # -- listing ------------------------------------------------------------------------------------

    def orphan_keys(self, region: str, wanted: Mapping[str, str], live: set[str]) -> list[dict[str, Any]]:
        """BenchHub key pairs matching `wanted` whose allocation has no live instance (a failed Allocate)."""
        key_filters = [{"Name": f"tag:{key}", "Values": [value]} for key, value in wanted.items()]
        with translated("listing key pairs", region=region):
            keys = self.regions.ec2(region).describe_key_pairs(Filters=key_filters)["KeyPairs"]
        return [k for k in keys if tags_of(k).get(bhtags.ALLOCATION) not in live]


def require_running(instance: Mapping[str, Any], started: float, timeout: float) -> bool:
    """True once running; raises when the instance died or the wait took too long."""
    state = instance["State"]["Name"]
    if state == "running":
        return True
    if state in ("shutting-down", "terminated", "stopping", "stopped"):
        reason = instance.get("StateReason", {}).get("Message", state)
        raise CapacityError(f"instance {instance['InstanceId']} did not start: {reason}")
    if time.monotonic() - started > timeout:
        raise TransientError(f"instance {instance['InstanceId']} still {state} after {timeout:g}s")
    return False
