"""bh-provider-docker as a real plugin subprocess over real gRPC against a real dockerd.

The daemon is the one at DOCKER_HOST; when none answers, .ci/dockerd starts a private one. Without
a daemon the tests skip (with the reason), except under CI=true, where they fail.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import pytest

from benchhub.host.cli.run import project_tag
from benchhub.host.executor.allocator import TAG_PROJECT
from benchhub.host.plugin import ProviderCallError, ProviderClient, launch_executable
from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb
from benchhub.providers.docker import labels

REPO = Path(__file__).resolve().parents[1]
BASE_IMAGE = "benchhub/busybox:latest"
PYTHON_IMAGE = "benchhub/python:bookworm"
MiB = 1 << 20
pytestmark = pytest.mark.timeout(120)


def _answers(host: str) -> bool:
    try:
        docker.DockerClient(base_url=host, timeout=5).ping()
    except docker.errors.DockerException:
        return False
    return True


def _no_daemon(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but no docker daemon: {reason}")
    pytest.skip(f"no docker daemon: {reason}")


@pytest.fixture(scope="session")
def docker_host() -> Iterator[str]:
    """DOCKER_HOST when a daemon answers there, else a private one started (and stopped) here."""
    host = os.environ.get("DOCKER_HOST", "")
    started_here = not (host and _answers(host))
    if started_here:
        started = subprocess.run([REPO / ".ci" / "dockerd", "start"], capture_output=True, text=True)
        if started.returncode != 0:
            _no_daemon(f".ci/dockerd start failed: {started.stderr.strip()[-500:]}")
        env_line = subprocess.run([REPO / ".ci" / "dockerd", "env"], capture_output=True, text=True).stdout
        host = env_line.strip().split("=", 1)[1]
    try:
        docker.DockerClient(base_url=host).images.get(BASE_IMAGE)
    except docker.errors.ImageNotFound:
        subprocess.run([REPO / ".ci" / "docker-images"], check=True, env={**os.environ, "DOCKER_HOST": host})
    yield host
    if started_here:
        subprocess.run([REPO / ".ci" / "dockerd", "stop"], check=True)


@pytest.fixture(scope="session")
def daemon(docker_host: str) -> docker.DockerClient:
    return docker.DockerClient(base_url=docker_host)


@pytest.fixture(scope="session")
def plugin_executable(tmp_path_factory: pytest.TempPathFactory) -> str:
    installed = shutil.which("bh-provider-docker")
    if installed:
        return installed
    wrapper = tmp_path_factory.mktemp("plugin") / "bh-provider-docker"
    wrapper.write_text(f"#!/bin/sh\nexec {sys.executable} -m benchhub.providers.docker.main\n")
    wrapper.chmod(0o755)
    return str(wrapper)


def _launch(executable: str, host: str, **config: object) -> ProviderClient:
    client = launch_executable(executable, "docker")
    diagnostics = client.configure({"host": host, "base_image": BASE_IMAGE, "network": "host", **config})
    assert not diagnostics, diagnostics
    return client


@pytest.fixture(scope="module")
def provider(plugin_executable: str, docker_host: str) -> Iterator[ProviderClient]:
    with _launch(plugin_executable, docker_host) as client:
        yield client


@pytest.fixture
def run_tags() -> dict[str, str]:
    return {"run": uuid.uuid4().hex[:10]}


@pytest.fixture
def allocation(provider: ProviderClient, run_tags: dict[str, str]) -> Iterator[pb.Allocation]:
    offer = provider.offer(pb.OfferRequest()).offers[0]
    share = job_pb2.Resources(cpu=2, memory_bytes=1024 * MiB)
    allocated = provider.allocate(offer.id, uuid.uuid4().hex, run_tags, share)
    yield allocated
    provider.release(allocated.id)


def _job(command: str, *, timeout: float = 30, memory_mib: int = 0, **fields: object) -> job_pb2.Job:
    job = job_pb2.Job(id=uuid.uuid4().hex[:8], name="test", command=["sh", "-c", command], **fields)
    job.timeout.FromMilliseconds(int(timeout * 1000))
    job.resources.memory_bytes = memory_mib * MiB
    return job


def _run(provider: ProviderClient, allocation: pb.Allocation, job: job_pb2.Job) -> list[pb.RunEvent]:
    return list(provider.run(allocation.id, job))


def _stdout(events: list[pb.RunEvent]) -> str:
    chunks = [e.log.data for e in events if e.HasField("log") and e.log.stream == pb.LogChunk.STREAM_STDOUT]
    return b"".join(chunks).decode()


def _exit(events: list[pb.RunEvent]) -> pb.Exit:
    assert events[-1].HasField("exit"), events[-1]
    return events[-1].exit


def _statuses(events: list[pb.RunEvent]) -> list[str]:
    return [e.status.message for e in events if e.HasField("status")]


def _normalized(member: tarfile.TarInfo) -> tarfile.TarInfo:
    member.mtime, member.uid, member.gid, member.uname, member.gname = 0, 0, 0, "", ""
    return member


def _snapshot(tmp_path: Path, files: dict[str, str]) -> job_pb2.Artifact:
    """A source tar as the host makes it: the same tree gives the same bytes."""
    tree = tmp_path / f"tree-{uuid.uuid4().hex[:6]}"
    for name, text in files.items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text(text)
    archive = tree.with_suffix(".tar")
    with tarfile.open(archive, "w") as tar:
        for path in sorted(tree.rglob("*")):
            tar.add(path, arcname=path.relative_to(tree).as_posix(), recursive=False, filter=_normalized)
    return job_pb2.Artifact(name="source", kind=job_pb2.Artifact.KIND_SOURCE_SNAPSHOT, uri=archive.as_uri())


def _containers(daemon: docker.DockerClient, allocation_id: str) -> list[object]:
    return list(daemon.containers.list(all=True, filters=labels.filters(allocation_id)))


# ---- offers and allocations ------------------------------------------------------------------


def test_offer_is_the_daemon_capacity_less_what_allocations_hold_at_price_zero(
    provider: ProviderClient, daemon: docker.DockerClient, allocation: pb.Allocation
) -> None:
    info = daemon.info()
    offer = provider.offer(pb.OfferRequest()).offers[0]
    assert offer.price_per_hour.amount == 0 and offer.shareable
    assert offer.resources.cpu == pytest.approx(info["NCPU"] - allocation.resources.cpu)
    assert offer.resources.memory_bytes == info["MemTotal"] - allocation.resources.memory_bytes
    too_big = job_pb2.Resources(cpu=info["NCPU"] + 1)
    assert not provider.offer(pb.OfferRequest(min_resources=too_big)).offers


def test_allocate_is_idempotent_and_release_removes_the_containers(
    provider: ProviderClient, daemon: docker.DockerClient, run_tags: dict[str, str]
) -> None:
    offer = provider.offer(pb.OfferRequest()).offers[0]
    first = provider.allocate(offer.id, "same-token", run_tags, job_pb2.Resources(cpu=1))
    again = provider.allocate(offer.id, "same-token", run_tags, job_pb2.Resources(cpu=1))
    assert again.id == first.id
    assert _exit(_run(provider, first, _job("true"))).status == pb.EXIT_STATUS_SUCCEEDED
    assert len(_containers(daemon, first.id)) == 1
    assert provider.release(first.id) is True
    assert _containers(daemon, first.id) == []
    assert provider.release(first.id) is False


# ---- images ----------------------------------------------------------------------------------


def test_changed_source_gets_a_new_image_and_unchanged_source_reuses_it(
    provider: ProviderClient, allocation: pb.Allocation, tmp_path: Path
) -> None:
    marker = uuid.uuid4().hex

    def apply(text: str) -> list[pb.RunEvent]:
        source = _snapshot(tmp_path, {"data.txt": text})
        return _run(provider, allocation, _job("cat data.txt", inputs=[source]))

    first, second, changed = apply(marker), apply(marker), apply(marker + "!")
    built = [s for s in _statuses(first) if s.startswith("built benchhub/job:")]
    assert built, _statuses(first)
    image = built[0].removeprefix("built ")
    assert f"reusing {image}" in _statuses(second)
    rebuilt = [s for s in _statuses(changed) if s.startswith("built benchhub/job:")]
    assert rebuilt and rebuilt[0] != built[0]
    assert (_stdout(first), _stdout(second), _stdout(changed)) == (marker, marker, marker + "!")


def test_after_a_build_only_the_newest_keep_images_job_images_stay(
    plugin_executable: str,
    docker_host: str,
    daemon: docker.DockerClient,
    tmp_path: Path,
    run_tags: dict[str, str],
) -> None:
    def allocate(provider: ProviderClient) -> pb.Allocation:
        offer = provider.offer(pb.OfferRequest()).offers[0]
        return provider.allocate(offer.id, uuid.uuid4().hex, run_tags, job_pb2.Resources(cpu=1))

    def source() -> job_pb2.Artifact:
        return _snapshot(tmp_path, {"data.txt": uuid.uuid4().hex})

    with _launch(plugin_executable, docker_host, keep_images=2) as provider:
        held = allocate(provider)  # its container (running, or only stopped) keeps its older image
        sleeper = provider.run(held.id, _job("sleep 30", inputs=[source()]))
        before_running = itertools.takewhile(lambda e: e.status.status != pb.JOB_STATUS_RUNNING, sleeper)
        (in_use,) = [m for m in _statuses(list(before_running)) if m.startswith("built ")]
        built = []
        for _ in range(3):
            allocation = allocate(provider)
            events = _run(provider, allocation, _job("cat data.txt", inputs=[source()]))
            provider.release(allocation.id)  # its containers go: only the image stays
            assert _exit(events).status == pb.EXIT_STATUS_SUCCEEDED
            built += [m.removeprefix("built ") for m in _statuses(events) if m.startswith("built ")]
        listed = daemon.images.list(filters={"label": labels.SNAPSHOT})
        sleeper.cancel()
        provider.release(held.id)
    images = {tag for image in listed for tag in image.tags}
    assert len(built) == 3 and set(built[1:]) <= images and built[0] not in images
    assert in_use.removeprefix("built ") in images


def test_a_dockerfile_in_the_source_is_built(
    provider: ProviderClient, allocation: pb.Allocation, tmp_path: Path
) -> None:
    dockerfile = f"FROM {BASE_IMAGE}\nCOPY greeting /etc/greeting\nWORKDIR /work\n"
    source = _snapshot(tmp_path, {"Dockerfile": dockerfile, "greeting": uuid.uuid4().hex})
    events = _run(provider, allocation, _job("cat /etc/greeting", inputs=[source]))
    assert _exit(events).status == pb.EXIT_STATUS_SUCCEEDED
    assert len(_stdout(events)) == 32


# ---- running ---------------------------------------------------------------------------------


def test_logs_arrive_while_the_container_runs(provider: ProviderClient, allocation: pb.Allocation) -> None:
    arrivals: list[tuple[float, pb.RunEvent]] = []
    for event in provider.run(allocation.id, _job("echo early; echo oops >&2; sleep 2; echo late")):
        arrivals.append((time.monotonic(), event))
    early = next(t for t, e in arrivals if e.HasField("log") and e.log.data == b"early\n")
    finished = arrivals[-1][0]
    assert finished - early > 1.5
    logs = [e.log for _, e in arrivals if e.HasField("log")]
    stderr = [log.data for log in logs if log.stream == pb.LogChunk.STREAM_STDERR]
    assert stderr == [b"oops\n"]


def test_oom_kill_timeout_failure_and_success_are_reported_distinctly(
    provider: ProviderClient, allocation: pb.Allocation
) -> None:
    hog = _job("dd if=/dev/zero of=/dev/null bs=200M count=1", memory_mib=64)
    oom = _exit(_run(provider, allocation, hog))
    timed_out = _exit(_run(provider, allocation, _job("sleep 30", timeout=1)))
    failed = _exit(_run(provider, allocation, _job("exit 3")))
    succeeded = _exit(_run(provider, allocation, _job("true")))
    assert oom.status == pb.EXIT_STATUS_OOM_KILLED
    assert oom.peak_memory_bytes == pytest.approx(64 * MiB, rel=0.05)
    assert timed_out.status == pb.EXIT_STATUS_TIMED_OUT and 1 <= timed_out.wall_seconds < 5
    assert (failed.status, failed.exit_code) == (pb.EXIT_STATUS_FAILED, 3)
    assert (succeeded.status, succeeded.exit_code) == (pb.EXIT_STATUS_SUCCEEDED, 0)


def test_peak_memory_of_a_job_allocating_200_mib_is_within_10_percent(
    provider: ProviderClient, allocation: pb.Allocation
) -> None:
    events = _run(provider, allocation, _job("dd if=/dev/zero of=/dev/null bs=200M count=1; sleep 0.5"))
    samples = [e.sample for e in events if e.HasField("sample")]
    assert _exit(events).peak_memory_bytes == pytest.approx(200 * MiB, rel=0.10)
    assert samples and {s.source for s in samples} <= {"cgroup-v1", "cgroup-v2"}
    assert max(s.memory_peak_bytes for s in samples) == _exit(events).peak_memory_bytes
    assert all(s.HasField("pids") for s in samples)


def test_limits_network_env_and_parameters_reach_the_container(
    provider: ProviderClient, allocation: pb.Allocation, daemon: docker.DockerClient
) -> None:
    script = 'echo "$GREETING $MODE" "$@"; cat /proc/net/dev | wc -l; cat conf/run.ini'
    job = _job(script, memory_mib=128, env={"GREETING": "hi"})
    job.command.append("sh")  # $0 of the script; the parameters follow
    job.resources.cpu = 0.5
    Target = job_pb2.Parameter.Target
    job.parameters.add(name="n", value=job_pb2.Value(int_value=3), target=Target.TARGET_ARGUMENT, key="--n")
    job.parameters.add(name="flag", value=job_pb2.Value(bool_value=True), target=Target.TARGET_ARGUMENT)
    job.parameters.add(name="MODE", value=job_pb2.Value(string_value="fast"), target=Target.TARGET_ENV)
    config = job_pb2.Value(string_value="threads=4\n")
    job.parameters.add(name="threads", value=config, target=Target.TARGET_CONFIG_FILE, key="conf/run.ini")
    isolated = _stdout(_run(provider, allocation, job)).splitlines()
    assert isolated[0] == "hi fast --n 3 true"
    assert isolated[1] == "3"  # two header lines and lo: no network
    assert isolated[2] == "threads=4"
    container = _containers(daemon, allocation.id)[0]
    host_config = container.attrs["HostConfig"]
    assert (host_config["NanoCpus"], host_config["Memory"], host_config["NetworkMode"]) == (
        500_000_000, 128 * MiB, "none"
    )
    networked = _job("cat /proc/net/dev | wc -l", network=True)
    assert int(_stdout(_run(provider, allocation, networked))) > 3
    escaping = _job("true")
    escaping.parameters.add(name="x", value=config, target=Target.TARGET_CONFIG_FILE, key="../etc/x.ini")
    with pytest.raises(ProviderCallError, match=r"config file '../etc/x.ini' must be a relative path inside"):
        _run(provider, allocation, escaping)


def test_jobs_packed_in_one_allocation_run_side_by_side_within_its_limits(
    provider: ProviderClient, allocation: pb.Allocation
) -> None:
    results: list[list[pb.RunEvent]] = []
    jobs = [_job("sleep 1.5") for _ in range(2)]
    for job in jobs:
        job.resources.cpu = 1
    began = time.monotonic()
    threads = [
        threading.Thread(target=lambda j=j: results.append(_run(provider, allocation, j))) for j in jobs
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert time.monotonic() - began < 2.9
    assert [_exit(r).status for r in results] == [pb.EXIT_STATUS_SUCCEEDED] * 2


def test_collect_streams_output_files_with_their_sha256(
    provider: ProviderClient, allocation: pb.Allocation
) -> None:
    job = _job("mkdir -p results; printf 'a,b\\n1,2\\n' > results/table.csv; echo skip > other.txt")
    job.outputs.add(name="tables", glob="results/*.csv")
    assert _exit(_run(provider, allocation, job)).status == pb.EXIT_STATUS_SUCCEEDED
    chunks = list(provider.collect(allocation.id, job.id, job.outputs))
    assert [(c.output, c.path, c.data, c.last, c.size) for c in chunks] == [
        ("tables", "results/table.csv", b"a,b\n1,2\n", True, 8)
    ]
    assert chunks[0].sha256 == hashlib.sha256(b"a,b\n1,2\n").hexdigest()


def test_cancelling_a_run_kills_its_container(
    provider: ProviderClient, allocation: pb.Allocation, daemon: docker.DockerClient
) -> None:
    stream = provider.run(allocation.id, _job("echo started; sleep 60"))
    for event in stream:
        if event.HasField("log"):
            stream.cancel()
            break
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        states = [c.attrs["State"]["Running"] for c in _containers(daemon, allocation.id)]
        if states == [False]:
            break
        time.sleep(0.1)
    assert states == [False]


def test_containers_outliving_a_crashed_provider_are_listed_by_tag_and_released(
    plugin_executable: str, docker_host: str, daemon: docker.DockerClient, run_tags: dict[str, str]
) -> None:
    crashed = _launch(plugin_executable, docker_host)
    offer = crashed.offer(pb.OfferRequest()).offers[0]
    leaked = crashed.allocate(offer.id, uuid.uuid4().hex, run_tags, job_pb2.Resources(cpu=1))
    _run(crashed, leaked, _job("true"))
    assert crashed.process is not None
    os.kill(crashed.process.popen.pid, signal.SIGKILL)
    crashed.close()
    with _launch(plugin_executable, docker_host) as fresh:
        found = fresh.list_allocations(run_tags)
        assert [a.id for a in found] == [leaked.id] and found[0].metadata["orphan"] == "true"
        assert fresh.list_allocations({"run": "no-such-run"}) == []
        assert fresh.release(leaked.id) is True
    assert _containers(daemon, leaked.id) == []


# ---- through bh ------------------------------------------------------------------------------

JOB_FILE = """
provider "docker" {{
  host = "{host}"
}}

job "sleeper" {{
  provider = "docker"
  image    = "{image}"
  command  = ["sh", "-c", "echo started; sleep 60"]
  timeout  = "2m"
}}
"""


def test_ctrl_c_in_bh_apply_removes_the_containers(
    plugin_executable: str, docker_host: str, daemon: docker.DockerClient, tmp_path: Path
) -> None:
    if shutil.which("bh") is None:
        pytest.skip("the bh console script is not installed")
    (tmp_path / "job.hcl").write_text(JOB_FILE.format(host=docker_host, image=BASE_IMAGE))
    env = {**os.environ, "BH_PLUGIN_PATH": str(Path(plugin_executable).parent)}
    apply = subprocess.Popen(
        ["bh", "apply", "job.hcl", "--auto-approve"], cwd=tmp_path, env=env, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    project = {"label": [f"{labels.TAG_PREFIX}{TAG_PROJECT}={project_tag(tmp_path)}"]}
    deadline = time.monotonic() + 60
    while not daemon.containers.list(filters=project) and apply.poll() is None:
        assert time.monotonic() < deadline, "the job's container never started"
        time.sleep(0.1)
    os.killpg(apply.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole foreground group
    output, _ = apply.communicate(timeout=60)
    assert apply.returncode == 130, output.decode()
    assert daemon.containers.list(all=True, filters=project) == []


# ---- configuration and failures ----------------------------------------------------------------


def test_configure_reports_bad_attributes_and_an_unreachable_daemon(
    plugin_executable: str, docker_host: str
) -> None:
    with _launch(plugin_executable, docker_host) as provider:
        bad = provider.configure({"cpu": "lots", "colour": "blue"})
        assert sorted(d.attribute_path[0] for d in bad) == ["colour", "cpu"]
        unreachable = provider.configure({"host": "unix:///nonexistent/docker.sock"})
        assert [d.attribute_path[0] for d in unreachable] == ["host"]


def test_a_failing_dockerfile_ends_the_job_with_an_error_and_its_build_output(
    provider: ProviderClient, allocation: pb.Allocation, tmp_path: Path
) -> None:
    source = _snapshot(tmp_path, {"Dockerfile": f"FROM {BASE_IMAGE}\nRUN echo building; exit 7\n"})
    events = _run(provider, allocation, _job("true", inputs=[source]))
    assert _exit(events).status == pb.EXIT_STATUS_ERROR
    assert "building the job image failed" in _exit(events).message
    assert b"building" in b"".join(e.log.data for e in events if e.HasField("log"))


def test_a_missing_base_image_is_an_invalid_request(
    provider: ProviderClient, allocation: pb.Allocation
) -> None:
    with pytest.raises(ProviderCallError, match="not on the docker daemon"):
        _run(provider, allocation, _job("true", image="benchhub/no-such-image:1"))


def test_a_job_on_the_debian_python_base_image_runs_python(
    provider: ProviderClient, allocation: pb.Allocation, daemon: docker.DockerClient
) -> None:
    try:
        daemon.images.get(PYTHON_IMAGE)
    except docker.errors.ImageNotFound:
        pytest.skip(f"{PYTHON_IMAGE} not built (.ci/docker-images python, about a minute with mmdebstrap)")
    job = _job("python3 -c 'import sys; print(sys.version_info[0])'", image=PYTHON_IMAGE)
    assert _stdout(_run(provider, allocation, job)) == "3\n"
