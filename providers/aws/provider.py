"""bh-provider-aws: one EC2 VM per allocation, priced from the catalog and the live spot market.

Allocation ids are `<region>/<name>`, the name derived from the idempotency token; every EC2 object of
an allocation carries BenchHub's tags, so Allocate, Release and ListAllocations find them again after a
crash or in a new provider process. The instance is reached over SSH with the allocation's ephemeral key
(`ssh_host_override` replaces its address, e.g. for test endpoints whose instances do not boot).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import grpc
from google.protobuf import duration_pb2

from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb
from benchhub.proto.provider.v1 import provider_pb2_grpc
from benchhub.providers.aws import config as aws_config
from benchhub.providers.aws import pricing
from benchhub.providers.aws.instances import Ec2Allocations, Launch, require_running, tags_of
from benchhub.providers.aws.offers import OfferBuilder, OfferKey
from benchhub.providers.aws.regions import Regions
from benchhub.providers.sdk import wire
from benchhub.providers.sdk.collector import collect_outputs
from benchhub.providers.sdk.errors import InvalidError, NotFoundError, TransientError
from benchhub.providers.sdk.ledger import AllocationLedger
from benchhub.providers.sdk.parameters import apply_parameters
from benchhub.providers.sdk.settings import error
from benchhub.providers.sdk.vm import tags as bhtags
from benchhub.providers.sdk.vm.catalog import CatalogError, PriceCatalog, load
from benchhub.providers.sdk.vm.keys import KeyStore
from benchhub.providers.sdk.vm.ssh import SshRemote, SshTarget, SshTimeouts

NAME = "aws"
STATE_POLL_SECONDS = 2.0
BILLING = pb.Billing(
    granularity=duration_pb2.Duration(seconds=1), minimum=duration_pb2.Duration(seconds=60)
)
SessionFactory = Callable[[str | None], boto3.session.Session]
Target = job_pb2.Parameter.Target
PARAMETER_TARGETS = (Target.TARGET_ARGUMENT, Target.TARGET_ENV, Target.TARGET_CONFIG_FILE)


def default_session(profile: str | None) -> boto3.session.Session:
    """boto3's standard credential chain (environment, shared files, SSO, instance role)."""
    return boto3.session.Session(profile_name=profile)


@dataclasses.dataclass
class Vm:
    """What Run and Collect need to reach an allocation's instance."""

    region: str
    name: str
    instance_id: str
    target: SshTarget
    workdirs: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Configured:
    config: aws_config.AwsConfig
    catalog: PriceCatalog
    regions: Regions
    ec2: Ec2Allocations
    keys: KeyStore
    offers: OfferBuilder


def split_allocation_id(allocation_id: str) -> tuple[str, str] | None:
    region, _, name = allocation_id.partition("/")
    return (region, name) if region and name.startswith("bh-") else None


def _progress(message: str, fraction: float = 0.0) -> pb.AllocateEvent:
    return pb.AllocateEvent(progress=pb.AllocateProgress(message=message, fraction=fraction))


class AwsProvider(provider_pb2_grpc.ProviderServicer):
    def __init__(self, session_factory: SessionFactory = default_session) -> None:
        self.session_factory = session_factory
        self.ledger: AllocationLedger[Vm] = AllocationLedger()
        self._state: Configured | None = None

    @property
    def state(self) -> Configured:
        if self._state is None:
            raise InvalidError("the aws provider is not configured (Configure failed or was not called)")
        return self._state

    # -- schema and configuration -------------------------------------------------------------------

    def GetSchema(self, request: pb.GetSchemaRequest, context: grpc.ServicerContext) -> pb.GetSchemaResponse:
        regions = self._state.config.regions if self._state else tuple(pricing.bundled().regions())
        return pb.GetSchemaResponse(
            name=NAME,
            version=metadata.version("benchhub"),
            protocol_version=wire.APP_PROTOCOL_VERSION,
            config=[setting.attribute() for setting in aws_config.SETTINGS],
            capabilities=pb.Capabilities(
                runtimes=[pb.Capabilities.RUNTIME_VM], spot=True, multi_node=False, regions=regions
            ),
            billing=BILLING,
        )

    def Configure(self, request: pb.ConfigureRequest, context: grpc.ServicerContext) -> pb.ConfigureResponse:
        config, diagnostics = aws_config.parse(request.config)
        try:
            catalog = load(config.catalog) if config.catalog else pricing.bundled()
        except CatalogError as bad:
            return pb.ConfigureResponse(diagnostics=[*diagnostics, error(str(bad), "catalog")])
        try:
            session = self.session_factory(config.profile)
        except botocore.exceptions.ProfileNotFound as missing:
            return pb.ConfigureResponse(diagnostics=[*diagnostics, error(str(missing), "profile")])
        if any(d.severity == pb.Diagnostic.SEVERITY_ERROR for d in diagnostics):
            return pb.ConfigureResponse(diagnostics=diagnostics)
        regions = Regions(session, config.endpoint_url, config.spot_price_ttl)
        self._state = Configured(
            config=config,
            catalog=catalog,
            regions=regions,
            ec2=Ec2Allocations(config, regions),
            keys=KeyStore(config.key_dir),
            offers=OfferBuilder(config, catalog, regions),
        )
        return pb.ConfigureResponse(diagnostics=diagnostics)

    # -- offers and allocations ---------------------------------------------------------------------

    def Offer(self, request: pb.OfferRequest, context: grpc.ServicerContext) -> pb.OfferResponse:
        return self.state.offers.offer(request)

    def Allocate(
        self, request: pb.AllocateRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.AllocateEvent]:
        state = self.state
        key = OfferKey.decode(request.offer_id)
        if key.region not in state.config.regions:
            raise InvalidError(f"offer {request.offer_id}: region {key.region} is not configured")
        instance_type = state.regions.instance_types(key.region, state.offers.wanted_types(key.region))
        entry = state.catalog.get(key.region, key.instance_type)
        if key.instance_type not in instance_type or entry is None:
            raise InvalidError(f"offer {request.offer_id}: {key.instance_type} is not sold in {key.region}")
        price = entry.on_demand_per_hour
        if key.spot:
            live = state.regions.spot_prices(key.region, sorted(instance_type)).get(key.instance_type)
            price = live.price_per_hour if live else entry.spot_per_hour or price
        token = request.idempotency_token or uuid.uuid4().hex
        name = bhtags.allocation_name(token)
        resources = instance_type[key.instance_type].resources(state.config.root_volume_gib)
        with self.ledger.claim(request, resources) as claim:
            if claim.existing is not None:
                yield pb.AllocateEvent(allocation=claim.existing.allocation)
                return
            allocation = claim.allocation
            allocation.id = f"{key.region}/{name}"
            allocation.idempotency_token = token
            allocation.region, allocation.zone = key.region, key.zone
            allocation.instance_type = key.instance_type
            allocation.spot = key.spot
            allocation.price_per_hour.CopyFrom(pb.Money(amount=price, currency=state.catalog.currency))
            launch = Launch(
                name=name,
                instance_type=key.instance_type,
                zone=key.zone,
                spot=key.spot,
                public_key="",
                tags=bhtags.cloud_tags(name, token, request.offer_id, price, request.tags),
                token=token,
            )
            try:
                vm = yield from self._start(state, key.region, launch, allocation, context)
            except BaseException:
                state.ec2.release(key.region, name, wait_seconds=0)
                state.keys.delete(name)
                raise
            held = claim.commit(vm)
        yield pb.AllocateEvent(allocation=held.allocation)

    def _start(
        self,
        state: Configured,
        region: str,
        launch: Launch,
        allocation: pb.Allocation,
        context: grpc.ServicerContext,
    ) -> Generator[pb.AllocateEvent, None, Vm]:
        """Find or launch the instance, wait until it runs and answers SSH; returns the Vm (generator).

        Stops waiting as soon as the host gives up on the call (Ctrl-C): Allocate then releases what it made.
        """

        def still_wanted(*_: object) -> None:
            if not context.is_active():
                raise TransientError(f"Allocate of {launch.name} cancelled by the host")

        yield _progress(f"looking up idempotency token in {region}")
        instance = state.ec2.by_token(region, launch.token)
        key = state.keys.get_or_create(launch.name)
        if instance is None:
            launch = dataclasses.replace(launch, public_key=key.public_openssh)
            yield _progress("importing the allocation's SSH key", 0.1)
            state.ec2.import_key(region, launch)
            group = state.ec2.security_group(region)
            yield _progress(f"launching {launch.instance_type}{' (spot)' if launch.spot else ''}", 0.2)
            instance = state.ec2.launch(region, launch, group)
        else:
            yield _progress(f"found {instance['InstanceId']} for this token", 0.2)
        started = time.monotonic()
        while not require_running(instance, started, state.config.allocate_timeout):
            yield _progress(f"{instance['InstanceId']} is {instance['State']['Name']}", 0.4)
            time.sleep(STATE_POLL_SECONDS)
            still_wanted()
            instance = state.ec2.describe(region, instance["InstanceId"])
        target = self._target(state, instance, key.private_key)
        yield _progress(f"waiting for SSH on {target.host}:{target.port}", 0.6)
        left = max(state.config.allocate_timeout - (time.monotonic() - started), 1.0)
        SshRemote(target, SshTimeouts(reachable=left)).wait_reachable(still_wanted)
        allocation.zone = instance["Placement"]["AvailabilityZone"]
        allocation.metadata.update(
            {
                "instance_id": instance["InstanceId"],
                "host": target.host,
                "port": str(target.port),
                "ssh_user": target.user,
                "key_name": launch.name,
            }
        )
        return Vm(region, launch.name, instance["InstanceId"], target)

    def _target(self, state: Configured, instance: dict[str, Any], key: Any) -> SshTarget:
        config = state.config
        if config.ssh_host_override:
            host, port = config.ssh_host_override
        else:
            address = "PrivateIpAddress" if config.use_private_ip else "PublicIpAddress"
            if not instance.get(address):
                raise InvalidError(f"{instance['InstanceId']} has no {address} (see use_private_ip)")
            host, port = instance[address], 22
        return SshTarget(host, port, config.ssh_user, key)

    def _vm(self, allocation_id: str) -> Vm:
        """The allocation's VM: from this process's ledger, else found again by its tags."""
        try:
            return self.ledger.get(allocation_id).handle
        except NotFoundError:
            pass
        state = self.state
        parts = split_allocation_id(allocation_id)
        instances = state.ec2.by_allocation(*parts) if parts else []
        running = [i for i in instances if i["State"]["Name"] == "running"]
        if parts is None or not running:
            raise NotFoundError(f"no running aws allocation {allocation_id!r}")
        key = state.keys.get(parts[1])
        if key is None:
            raise InvalidError(f"the SSH key of {allocation_id} is gone ({state.config.key_dir}); release it")
        target = self._target(state, running[0], key.private_key)
        return Vm(parts[0], parts[1], running[0]["InstanceId"], target)

    # -- running and collecting ---------------------------------------------------------------------

    def Run(self, request: pb.RunRequest, context: grpc.ServicerContext) -> Iterator[pb.RunEvent]:
        state, vm = self.state, self._vm(request.allocation_id)
        applied = apply_parameters(request.job, NAME, PARAMETER_TARGETS)
        job = job_pb2.Job()
        job.CopyFrom(request.job)
        job.command[:] = applied.argv
        job.env.clear()
        job.env.update(applied.env)
        vm.workdirs[job.id] = job.workdir
        timeouts = SshTimeouts(interruption_poll=state.config.interruption_poll)
        remote = SshRemote(vm.target, timeouts, state.config.remote_dir)
        yield from remote.run(
            job, lambda: state.ec2.interruption(vm.region, vm.instance_id), applied.config_files
        )

    def Collect(self, request: pb.CollectRequest, context: grpc.ServicerContext) -> Iterator[pb.CollectChunk]:
        state, vm = self.state, self._vm(request.allocation_id)
        into = Path(tempfile.mkdtemp(prefix="bh-aws-collect-"))
        try:
            globs = [output.glob for output in request.outputs]
            remote = SshRemote(vm.target, root=state.config.remote_dir)
            remote.download(request.job_id, vm.workdirs.get(request.job_id, ""), globs, into)
            yield from collect_outputs(into, request.outputs)
        finally:
            shutil.rmtree(into, ignore_errors=True)

    # -- releasing and listing ----------------------------------------------------------------------

    def Release(self, request: pb.ReleaseRequest, context: grpc.ServicerContext) -> pb.ReleaseResponse:
        parts = split_allocation_id(request.allocation_id)
        if parts is None:
            return pb.ReleaseResponse(released=False)
        state = self.state
        self.ledger.release(request.allocation_id)
        released = state.ec2.release(*parts)
        state.keys.delete(parts[1])
        return pb.ReleaseResponse(released=released)

    def ListAllocations(
        self, request: pb.ListAllocationsRequest, context: grpc.ServicerContext
    ) -> pb.ListAllocationsResponse:
        state = self.state
        wanted = bhtags.tag_filter(request.tags)
        with ThreadPoolExecutor(max_workers=len(state.config.regions)) as pool:
            found = pool.map(lambda region: self._listed(state, region, wanted), state.config.regions)
        return pb.ListAllocationsResponse(allocations=[a for region in found for a in region])

    def _listed(self, state: Configured, region: str, wanted: dict[str, str]) -> list[pb.Allocation]:
        allocations = [_from_instance(region, i) for i in state.ec2.instances(region, wanted)]
        live = {a.id.partition("/")[2] for a in allocations}
        orphans = state.ec2.orphan_keys(region, wanted, live)
        return allocations + [_from_key_pair(region, k) for k in orphans]


def _common(region: str, tags: dict[str, str]) -> pb.Allocation:
    return pb.Allocation(
        id=f"{region}/{tags.get(bhtags.ALLOCATION, '')}",
        offer_id=tags.get(bhtags.OFFER, ""),
        idempotency_token=tags.get(bhtags.TOKEN, ""),
        tags=bhtags.host_tags(tags),
        region=region,
        price_per_hour=pb.Money(amount=float(tags.get(bhtags.PRICE, "0") or 0), currency="USD"),
    )


def _from_instance(region: str, instance: dict[str, Any]) -> pb.Allocation:
    allocation = _common(region, tags_of(instance))
    allocation.zone = instance["Placement"]["AvailabilityZone"]
    allocation.instance_type = instance["InstanceType"]
    allocation.spot = instance.get("InstanceLifecycle") == "spot"
    running = instance["State"]["Name"] == "running"
    allocation.state = pb.Allocation.STATE_READY if running else pb.Allocation.STATE_PENDING
    launched: dt.datetime = instance["LaunchTime"]
    allocation.created_at.FromDatetime(launched)
    allocation.metadata.update({"instance_id": instance["InstanceId"], "state": instance["State"]["Name"]})
    return allocation


def _from_key_pair(region: str, key_pair: dict[str, Any]) -> pb.Allocation:
    """A key pair left without an instance (an interrupted Allocate): listed so `bh gc` deletes it."""
    allocation = _common(region, tags_of(key_pair))
    allocation.state = pb.Allocation.STATE_FAILED
    allocation.metadata["key_name"] = key_pair["KeyName"]
    if "CreateTime" in key_pair:
        allocation.created_at.FromDatetime(key_pair["CreateTime"])
    return allocation
