"""The VM kit's SSH run path against a real OpenSSH server on 127.0.0.1 (the cloud tests' stand-in VM)."""

from __future__ import annotations

import io
import tarfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncssh
import pytest
from cloud.helpers import Sshd, ec2
from google.protobuf import duration_pb2

from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb
from benchhub.providers.sdk.errors import TransientError
from benchhub.providers.sdk.vm.keys import KeyStore
from benchhub.providers.sdk.vm.ssh import SshRemote, SshTarget, SshTimeouts

pytest_plugins = ["cloud.fixtures"]

Kind = job_pb2.Artifact.Kind


@pytest.fixture
def remote(moto: str, sshd: Sshd, tmp_path: Path) -> SshRemote:
    """An SshRemote whose ephemeral key the sshd accepts (imported as a BenchHub key pair into moto)."""
    key = KeyStore(tmp_path / "keys").get_or_create("bh-test")
    managed = [{"ResourceType": "key-pair", "Tags": [{"Key": "benchhub:managed", "Value": "true"}]}]
    ec2(moto).import_key_pair(
        KeyName="bh-test", PublicKeyMaterial=key.public_openssh.encode(), TagSpecifications=managed
    )
    target = SshTarget(sshd.host, sshd.port, sshd.user, key.private_key)
    return SshRemote(target, SshTimeouts(interruption_poll=0.2), root=str(tmp_path / "vm"))


def never_interrupted() -> str | None:
    return None


def job(*command: str, timeout: float = 0, **fields: object) -> job_pb2.Job:
    built = job_pb2.Job(id=f"j-{uuid.uuid4().hex[:6]}", command=list(command), **fields)  # type: ignore[arg-type]
    if timeout:
        built.timeout.CopyFrom(duration_pb2.Duration(seconds=int(timeout)))
    return built


def logs(events: list[pb.RunEvent], stream: int) -> bytes:
    return b"".join(e.log.data for e in events if e.HasField("log") and e.log.stream == stream)


def running(marker: str) -> bool:
    """Whether a process whose command line holds `marker` is alive (the sshd runs on this machine)."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if marker.encode() in cmdline.read_bytes().replace(b"\0", b" "):
                return True
        except OSError:
            continue  # it ended while we looked
    return False


def test_run_streams_output_and_reports_the_exit_code(remote: SshRemote) -> None:
    script = 'echo "out $GREETING"; echo oops >&2; pwd; exit 7'
    ran = job("sh", "-c", script, env={"GREETING": "hi there"}, workdir="w")
    events = list(remote.run(ran, never_interrupted))
    statuses = [e.status.status for e in events if e.HasField("status")]
    assert statuses == [pb.JOB_STATUS_PREPARING, pb.JOB_STATUS_RUNNING]
    out = logs(events, pb.LogChunk.STREAM_STDOUT).decode().splitlines()
    assert out[0] == "out hi there" and out[1].endswith("/w")
    assert logs(events, pb.LogChunk.STREAM_STDERR) == b"oops\n"
    exit_event = events[-1].exit
    assert (exit_event.status, exit_event.exit_code) == (pb.EXIT_STATUS_FAILED, 7)


def test_output_arrives_while_the_job_still_runs(remote: SshRemote) -> None:
    ran = job("sh", "-c", "echo first; sleep 2; echo second")
    stream: Iterator[pb.RunEvent] = remote.run(ran, never_interrupted)
    next(e for e in stream if e.status.status == pb.JOB_STATUS_RUNNING)
    started = time.monotonic()
    first = next(e for e in stream if e.HasField("log"))
    assert first.log.data == b"first\n"
    assert time.monotonic() - started < 1.8
    assert list(stream)[-1].exit.status == pb.EXIT_STATUS_SUCCEEDED


def test_inputs_are_uploaded_and_outputs_downloaded(remote: SshRemote, tmp_path: Path) -> None:
    source = tmp_path / "src.tar"
    with tarfile.open(source, "w") as tar:
        data = b"print('hello')\n"
        info = tarfile.TarInfo("pkg/main.py")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    config = tmp_path / "settings.ini"
    config.write_text("[a]\nb = 1\n")
    inputs = [
        job_pb2.Artifact(name="src", kind=Kind.KIND_SOURCE_SNAPSHOT, uri=source.as_uri(), path="src"),
        job_pb2.Artifact(name="cfg", kind=Kind.KIND_FILE, uri=config.as_uri(), path="etc/settings.ini"),
    ]
    script = "mkdir -p out/deep; echo x >out/deep/y; cat ../src/pkg/main.py ../etc/settings.ini >out/both.txt"
    ran = job("sh", "-c", script, workdir="run", inputs=inputs)
    assert list(remote.run(ran, never_interrupted))[-1].exit.status == pb.EXIT_STATUS_SUCCEEDED
    into = tmp_path / "collected"
    remote.download(ran.id, "run", ["out/**/*", "missing/*"], into)
    assert (into / "out/both.txt").read_text() == "print('hello')\n[a]\nb = 1\n"
    assert (into / "out/deep/y").read_text() == "x\n"


def test_config_files_are_written_into_the_working_dir_after_the_inputs(
    remote: SshRemote, tmp_path: Path
) -> None:
    shipped = tmp_path / "app.toml"
    shipped.write_text("size = 1\n")
    inputs = [
        job_pb2.Artifact(name="cfg", kind=Kind.KIND_FILE, uri=shipped.as_uri(), path="run/conf/app.toml")
    ]
    ran = job("sh", "-c", "cat conf/app.toml deep/er/x.ini", workdir="run", inputs=inputs)
    files = {"conf/app.toml": "size = 64\n", "deep/er/x.ini": "[x]\n"}
    events = list(remote.run(ran, never_interrupted, files))
    assert events[-1].exit.status == pb.EXIT_STATUS_SUCCEEDED
    assert logs(events, pb.LogChunk.STREAM_STDOUT) == b"size = 64\n[x]\n"
    assert (tmp_path / "vm" / ran.id / "run" / "deep" / "er" / "x.ini").read_text() == "[x]\n"


def test_timeout_kills_the_whole_process_group(remote: SshRemote) -> None:
    marker = f"{time.time_ns() % 10**6}.25"
    ran = job("sh", "-c", f"sleep {marker} & sleep {marker}", timeout=1)
    events = list(remote.run(ran, never_interrupted))
    assert events[-1].exit.status == pb.EXIT_STATUS_TIMED_OUT
    assert "timed out after 1s" in events[-1].exit.message
    time.sleep(0.3)
    assert not running(f"sleep {marker}")


def test_an_interruption_ends_the_run_as_preempted_and_kills_the_job(remote: SshRemote) -> None:
    marker = f"{time.time_ns() % 10**6}.5"
    interrupted_at = time.monotonic() + 1.0

    def interrupted() -> str | None:
        return "spot instance reclaimed (test)" if time.monotonic() > interrupted_at else None

    events = list(remote.run(job("sleep", marker), interrupted))
    assert events[-1].exit.status == pb.EXIT_STATUS_PREEMPTED
    assert events[-1].exit.message == "spot instance reclaimed (test)"
    time.sleep(0.3)
    assert not running(f"sleep {marker}")


def test_closing_the_stream_early_kills_the_job(remote: SshRemote) -> None:
    marker = f"{time.time_ns() % 10**6}.75"
    stream = remote.run(job("sh", "-c", f"echo started; sleep {marker}"), never_interrupted)
    assert any(e.HasField("log") for e in stream)
    stream.close()  # type: ignore[attr-defined]
    time.sleep(0.3)
    assert not running(f"sleep {marker}")


def test_an_unreachable_vm_is_a_transient_error(tmp_path: Path) -> None:
    key = asyncssh.generate_private_key("ssh-ed25519")
    timeouts = SshTimeouts(connect=0.5, reachable=1.0, retry_delay=0.2, attempts=2)
    remote = SshRemote(SshTarget("127.0.0.1", 9, "root", key), timeouts)
    with pytest.raises(TransientError, match=r"cannot reach root@127\.0\.0\.1:9 over SSH"):
        remote.wait_reachable()
    events = list(remote.run(job("true"), never_interrupted))
    assert events[-1].exit.status == pb.EXIT_STATUS_ERROR
