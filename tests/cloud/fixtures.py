"""Fixtures of the cloud tests: moto's real EC2 server and a real OpenSSH server standing in for the VM.

- `moto_server` (session): `python -m moto.server` on 127.0.0.1 with instance-type validation on; `moto`
  resets its state for each test. Credentials are fake, set in the environment for the whole session
  (and the shared config files pointed at /dev/null so nothing real is ever read).
- `sshd` (session): `/usr/sbin/sshd -D` on 127.0.0.1 with its own host key and key-only login. moto's
  instances do not boot, so the provider reaches this sshd through its documented `ssh_host_override`;
  sshd's AuthorizedKeysCommand (authorized_keys_from_ec2.py) accepts the public keys of the BenchHub key
  pairs moto holds, as cloud-init would on a real instance.
- `session`: the boto3 session the aws provider makes its calls through, so a test can hook (count or
  fail) them; `stub`: that provider on a real gRPC server, configured with `aws_config`.
Helpers (clients, a provider on a real gRPC server, injected errors) are in `cloud.helpers`.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from cloud.helpers import REGIONS, Sshd, configured

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


@pytest.fixture
def session() -> boto3.session.Session:
    """The aws provider's boto3 session, so a test can hook (count or fail) its calls."""
    return boto3.session.Session()


@pytest.fixture
def stub(session: boto3.session.Session, aws_config: dict[str, Any], tmp_path: Path) -> Iterator[Any]:
    """The aws provider on a real gRPC server, configured with `aws_config`."""
    with configured(session, aws_config, tmp_path) as provider:
        yield provider
