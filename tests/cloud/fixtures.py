"""Fixtures of the cloud tests: moto's real EC2 server and a real OpenSSH server standing in for the VM.

- `moto_server` (session): `python -m moto.server` on 127.0.0.1 with instance-type validation on; `moto`
  resets its state for each test. Credentials are fake, set in the environment for the whole session
  (and the shared config files pointed at /dev/null so nothing real is ever read).
- `sshd` (session): `/usr/sbin/sshd -D` on 127.0.0.1 with its own host key and key-only login. moto's
  instances do not boot, so the provider reaches this sshd through its documented `ssh_host_override`;
  sshd's AuthorizedKeysCommand (authorized_keys_from_ec2.py) accepts the public keys of the BenchHub key
  pairs moto holds, as cloud-init would on a real instance.
- `inject_error`: errors moto cannot produce (capacity, quota, price, auth), injected at the botocore
  level by a `before-call` event hook on the provider's boto3 session. Tests using it say so.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import grpc
import pytest
from botocore.awsrequest import AWSResponse

from benchhub.proto.provider.v1 import provider_pb2_grpc
from benchhub.providers.sdk.interceptor import ErrorInterceptor

REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION": "true",
}
KEYS_COMMAND = Path(__file__).with_name("authorized_keys_from_ec2.py")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_port(port: int, process: subprocess.Popen[bytes], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:g}s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def fake_aws_credentials() -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in (*FAKE_CREDENTIALS, "AWS_PROFILE")}
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update(FAKE_CREDENTIALS)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def moto_server(fake_aws_credentials: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, process, "moto server")
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)
        log.close()


@pytest.fixture
def moto(moto_server: str) -> str:
    """moto's endpoint, emptied for this test."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"), timeout=10)
    return moto_server


def ec2(endpoint: str, region: str = "us-east-1") -> Any:
    """A boto3 EC2 client on moto for the tests' own checks (and for playing AWS: a spot interruption)."""
    return boto3.client("ec2", region_name=region, endpoint_url=endpoint)


def benchhub_instances(
    endpoint: str, states: tuple[str, ...] = ("pending", "running")
) -> list[dict[str, Any]]:
    found = []
    for region in REGIONS:
        reservations = ec2(endpoint, region).describe_instances(
            Filters=[
                {"Name": "tag:benchhub:managed", "Values": ["true"]},
                {"Name": "instance-state-name", "Values": list(states)},
            ]
        )["Reservations"]
        found += [instance for r in reservations for instance in r["Instances"]]
    return found


@dataclass(frozen=True)
class Sshd:
    host: str
    port: int
    user: str


SSHD_CONFIG = """\
ListenAddress 127.0.0.1
Port {port}
HostKey {host_key}
PidFile {directory}/sshd.pid
UsePAM no
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AuthorizedKeysFile none
AuthorizedKeysCommand {python} {command} {endpoint} {regions}
AuthorizedKeysCommandUser root
Subsystem sftp internal-sftp
LogLevel ERROR
"""


@pytest.fixture(scope="session")
def sshd(moto_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    directory = tmp_path_factory.mktemp("sshd")
    host_key = directory / "host_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(host_key)], check=True)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation directory
    port = free_port()
    config = directory / "sshd_config"
    config.write_text(
        SSHD_CONFIG.format(
            port=port,
            host_key=host_key,
            directory=directory,
            python=os.path.realpath(sys.executable),
            command=KEYS_COMMAND,
            endpoint=moto_server,
            regions=" ".join(REGIONS),
        )
    )
    log = (directory / "sshd.log").open("wb")
    process = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", str(config)], stdout=log, stderr=log)
    try:
        wait_for_port(port, process, "sshd")
        yield Sshd("127.0.0.1", port, "root")
    finally:
        stop(process)
        log.close()


@pytest.fixture
def aws_config(moto: str, sshd: Sshd, tmp_path: Path) -> dict[str, Any]:
    """The aws provider's configuration against moto, with the sshd standing in for every instance."""
    return {
        "regions": list(REGIONS),
        "endpoint_url": moto,
        "ssh_cidr": "127.0.0.1/32",
        "ssh_user": sshd.user,
        "ssh_host_override": f"{sshd.host}:{sshd.port}",
        "key_dir": str(tmp_path / "keys"),
        "interruption_poll_seconds": 0.3,
        "allocate_timeout_seconds": 60,
        "remote_dir": str(tmp_path / "vm"),
    }


@contextlib.contextmanager
def serving(provider: provider_pb2_grpc.ProviderServicer, socket_dir: Path) -> Iterator[Any]:
    """`provider` on a real gRPC server (the SDK's error interceptor) over a unix socket; yields a stub."""
    server = grpc.server(futures.ThreadPoolExecutor(16), interceptors=[ErrorInterceptor()])
    provider_pb2_grpc.add_ProviderServicer_to_server(provider, server)
    address = f"unix:{socket_dir / 'provider.sock'}"
    server.add_insecure_port(address)
    server.start()
    channel = grpc.insecure_channel(address)
    try:
        yield provider_pb2_grpc.ProviderStub(channel)
    finally:
        channel.close()
        server.stop(None)


ErrorWhen = Callable[[dict[str, Any]], bool]


def inject_error(
    session: boto3.session.Session,
    operation: str,
    code: str,
    message: str = "injected by the test",
    when: ErrorWhen = lambda _: True,
    status: int = 400,
) -> list[dict[str, Any]]:
    """INJECTED ERROR: make `operation` (e.g. "RunInstances") fail with AWS error `code` whenever `when(body)`
    holds for the request's parameters. Returns the list of requests that were failed."""
    failed: list[dict[str, Any]] = []

    def fail(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        body = params.get("body", {})
        if not when(body):
            return None
        failed.append(body)
        response = AWSResponse("https://injected.invalid/", status, {}, None)
        return response, {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {}}

    session.events.register(f"before-call.ec2.{operation}", fail)
    return failed
