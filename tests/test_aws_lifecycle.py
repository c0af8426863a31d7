"""bh-provider-aws as a real plugin subprocess: Offer -> Allocate -> Run -> Collect -> Release on moto's EC2
server, the job really running over SSH (on the test sshd standing in for the instance)."""

from __future__ import annotations

import hashlib
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cloud.helpers import benchhub_instances, ec2

from benchhub.host.plugin import ProviderCallError, ProviderClient, launch_executable
from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb

pytest_plugins = ["cloud.fixtures"]

Kind = job_pb2.Artifact.Kind
Target = job_pb2.Parameter.Target


def start_plugin(config: dict[str, Any]) -> ProviderClient:
    executable = shutil.which("bh-provider-aws")
    assert executable, "bh-provider-aws is not installed (pip install -e .)"
    client = launch_executable(executable, "aws")
    assert client.configure(config) == []
    return client


@pytest.fixture
def aws(aws_config: dict[str, Any]) -> Iterator[ProviderClient]:
    with start_plugin(aws_config) as client:
        yield client


def offer_id(
    client: ProviderClient, instance_type: str, spot: bool = False, region: str = "us-east-1"
) -> str:
    policy = pb.SPOT_POLICY_ONLY if spot else pb.SPOT_POLICY_NEVER
    offers = client.offer(pb.OfferRequest(regions=[region], spot=policy)).offers
    return next(o.id for o in offers if o.instance_type == instance_type)


def key_pairs(endpoint: str, region: str = "us-east-1") -> list[str]:
    return [k["KeyName"] for k in ec2(endpoint, region).describe_key_pairs()["KeyPairs"]]


def benchhub_groups(endpoint: str) -> list[dict[str, Any]]:
    groups = ec2(endpoint).describe_security_groups()["SecurityGroups"]
    return [g for g in groups if g["GroupName"].startswith("benchhub-ssh-")]


def test_a_job_runs_over_ssh_on_an_ec2_allocation_and_nothing_is_left(
    aws: ProviderClient, moto: str, aws_config: dict[str, Any], tmp_path: Path
) -> None:
    progress: list[str] = []
    tags = {"benchhub:run": "r1", "benchhub:job": "bench"}
    offer = offer_id(aws, "m5.large")
    allocation = aws.allocate(offer, "token-1", tags, on_progress=lambda p: progress.append(p.message))
    assert allocation.state == pb.Allocation.STATE_READY
    assert allocation.id.startswith("us-east-1/bh-") and allocation.instance_type == "m5.large"
    assert allocation.price_per_hour.amount == 0.096 and not allocation.spot
    assert progress[0] == "looking up idempotency token in us-east-1"
    assert any(m.startswith("launching m5.large") for m in progress)

    (instance,) = benchhub_instances(moto)
    on_instance = {t["Key"]: t["Value"] for t in instance["Tags"]}
    assert instance["InstanceId"] == allocation.metadata["instance_id"]
    assert on_instance["benchhub:token"] == "token-1"
    assert on_instance["benchhub:run"] == "r1" and on_instance["benchhub:job"] == "bench"
    assert on_instance["benchhub:allocation"] == allocation.metadata["key_name"]
    assert instance["KeyName"] == allocation.metadata["key_name"] in key_pairs(moto)
    (group,) = benchhub_groups(moto)
    assert group["IpPermissions"][0]["IpRanges"] == [{"CidrIp": "127.0.0.1/32"}]
    assert group["IpPermissions"][0]["FromPort"] == 22
    key_files = list(Path(aws_config["key_dir"]).iterdir())
    assert [f.stem for f in key_files] == [allocation.metadata["key_name"]]
    assert key_files[0].stat().st_mode & 0o777 == 0o600

    data = tmp_path / "numbers.txt"
    data.write_text("3\n1\n2\n")
    script = 'sort -n numbers.txt > out/sorted.txt && echo "sorted $MODE" "$@" && cat run.ini'
    job = job_pb2.Job(
        id="sort-1",
        command=["sh", "-c", script, "sh"],
        env={"MODE": "as text"},
        inputs=[job_pb2.Artifact(name="data", kind=Kind.KIND_FILE, uri=data.as_uri(), path="numbers.txt")],
        outputs=[job_pb2.Output(name="result", glob="out/*.txt")],
    )
    job.command[2] = "mkdir -p out && " + job.command[2]
    job.parameters.add(name="MODE", value=job_pb2.Value(string_value="numeric"), target=Target.TARGET_ENV)
    job.parameters.add(name="n", value=job_pb2.Value(int_value=3), target=Target.TARGET_ARGUMENT, key="--n")
    ini = job_pb2.Value(string_value="threads = 2\n")
    job.parameters.add(name="run.ini", value=ini, target=Target.TARGET_CONFIG_FILE)
    events = list(aws.run(allocation.id, job))
    assert b"".join(e.log.data for e in events if e.HasField("log")) == b"sorted numeric --n 3\nthreads = 2\n"
    assert events[-1].exit.status == pb.EXIT_STATUS_SUCCEEDED
    sysctl = job_pb2.Job(id="tuned", command=["true"])
    sysctl.parameters.add(name="vm.swappiness", value=job_pb2.Value(int_value=1), target=Target.TARGET_SYSTEM)
    with pytest.raises(ProviderCallError, match="as arguments, env vars or config files, not as system"):
        list(aws.run(allocation.id, sysctl))
    escaping = job_pb2.Job(id="escaping", command=["true"])
    escaping.parameters.add(name="x", value=ini, target=Target.TARGET_CONFIG_FILE, key="../x.ini")
    with pytest.raises(ProviderCallError, match=r"config file '\.\./x\.ini' must be a relative path inside"):
        list(aws.run(allocation.id, escaping))

    chunks = list(aws.collect(allocation.id, job.id, job.outputs))
    assert [(c.output, c.path, c.last) for c in chunks] == [("result", "out/sorted.txt", True)]
    assert chunks[0].data == b"1\n2\n3\n" and chunks[0].sha256 == hashlib.sha256(b"1\n2\n3\n").hexdigest()

    assert aws.release(allocation.id) is True
    assert benchhub_instances(moto) == []
    assert key_pairs(moto) == [] and benchhub_groups(moto) == []
    assert list(Path(aws_config["key_dir"]).iterdir()) == []
    assert aws.release(allocation.id) is False
    assert aws.release("not-an-aws-allocation") is False


def test_the_same_token_never_makes_two_instances(
    aws: ProviderClient, moto: str, aws_config: dict[str, Any]
) -> None:
    offer = offer_id(aws, "t3.micro", region="eu-west-1")
    first = aws.allocate(offer, "token-twice", {"benchhub:run": "r1"})
    again = aws.allocate(offer, "token-twice", {"benchhub:run": "r1"})
    assert again.id == first.id
    with start_plugin(aws_config) as restarted:  # a new provider process finds the instance by its tag
        progress: list[str] = []
        third = restarted.allocate(
            offer, "token-twice", {"benchhub:run": "r1"}, on_progress=lambda p: progress.append(p.message)
        )
        assert third.id == first.id and third.metadata["instance_id"] == first.metadata["instance_id"]
        assert any(m.startswith("found i-") for m in progress)
        assert len(benchhub_instances(moto)) == 1
        assert restarted.release(first.id) is True
    assert benchhub_instances(moto) == []


def test_allocations_are_listed_by_tag_including_leftover_key_pairs(aws: ProviderClient, moto: str) -> None:
    one = aws.allocate(offer_id(aws, "t3.micro"), "token-a", {"benchhub:run": "r1"})
    two = aws.allocate(offer_id(aws, "t3.small", region="us-west-2"), "token-b", {"benchhub:run": "r2"})
    # An Allocate interrupted after importing its key pair leaves a tagged key pair and no instance.
    ec2(moto, "eu-west-1").import_key_pair(
        KeyName="bh-interrupted",
        PublicKeyMaterial=b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDCqrmdoWG4lRdNkV6a/egk+wN4oSEx0/3dktVgYhfDD",
        TagSpecifications=[
            {
                "ResourceType": "key-pair",
                "Tags": [
                    {"Key": "benchhub:managed", "Value": "true"},
                    {"Key": "benchhub:allocation", "Value": "bh-interrupted"},
                    {"Key": "benchhub:run", "Value": "r2"},
                ],
            }
        ],
    )
    assert [a.id for a in aws.list_allocations({"benchhub:run": "r1"})] == [one.id]
    listed = {a.id: a for a in aws.list_allocations()}
    assert set(listed) == {one.id, two.id, "eu-west-1/bh-interrupted"}
    assert listed[two.id].tags["benchhub:run"] == "r2" and listed[two.id].idempotency_token == "token-b"
    assert listed[two.id].state == pb.Allocation.STATE_READY and listed[two.id].instance_type == "t3.small"
    assert listed["eu-west-1/bh-interrupted"].state == pb.Allocation.STATE_FAILED
    for allocation in listed.values():
        assert aws.release(allocation.id) is True
    assert aws.list_allocations() == [] and benchhub_instances(moto) == []
    assert key_pairs(moto, "eu-west-1") == []


def test_a_spot_interruption_ends_the_run_as_preempted(aws: ProviderClient, moto: str) -> None:
    allocation = aws.allocate(offer_id(aws, "c5.large", spot=True), "token-spot", {"benchhub:run": "r1"})
    assert allocation.spot
    (instance,) = benchhub_instances(moto)
    assert instance["InstanceLifecycle"] == "spot" and "InstanceMarketOptions" not in instance

    def reclaim() -> None:  # INJECTED: AWS reclaims the spot instance (moto never does on its own)
        time.sleep(1.5)
        ec2(moto).terminate_instances(InstanceIds=[allocation.metadata["instance_id"]])

    reclaimer = threading.Thread(target=reclaim)
    reclaimer.start()
    started = time.monotonic()
    events = list(aws.run(allocation.id, job_pb2.Job(id="long", command=["sleep", "30"])))
    reclaimer.join()
    assert events[-1].exit.status == pb.EXIT_STATUS_PREEMPTED
    assert "was interrupted (state terminated)" in events[-1].exit.message
    assert time.monotonic() - started < 15
    assert aws.release(allocation.id) is True  # the key pair is still there to delete


def test_running_on_an_unknown_allocation_is_not_found(aws: ProviderClient) -> None:
    with pytest.raises(ProviderCallError) as raised:
        list(aws.run("us-east-1/bh-0000", job_pb2.Job(id="x", command=["true"])))
    assert raised.value.reason == pb.ErrorDetail.REASON_NOT_FOUND
