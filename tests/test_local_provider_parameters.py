"""Job parameters in the local provider, through the real plugin: arguments, env vars, config files
in the working dir, and kernel settings (root only, restored after the job)."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchhub.host.plugin import ProviderClient, launch
from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb
from tests.conftest import InstallPlugin
from tests.test_local_provider import allocate, events, output_of, sh
from tests.test_local_provider_metrics import running_message

Target = job_pb2.Parameter.Target
SWAPPINESS = Path("/proc/sys/vm/swappiness")


@pytest.fixture
def local(install_plugin: InstallPlugin) -> Iterator[ProviderClient]:
    path = install_plugin("local", "-m", "benchhub.providers.local.main")
    with launch("local", path.parent) as provider:
        yield provider


def with_parameter(job: job_pb2.Job, target: Target.ValueType, key: str, value: str) -> job_pb2.Job:
    """`job` with a string parameter named after the last part of its `key`."""
    name = key.rsplit("/", 1)[-1]
    job.parameters.add(name=name, value=job_pb2.Value(string_value=value), target=target, key=key)
    return job


def test_arguments_env_and_config_files_reach_the_job(local: ProviderClient) -> None:
    job = sh("params", 'echo "$@" "$MODE"; cat conf/app.toml')
    job.command.append("sh")  # $0 of the script; the arguments follow
    job.parameters.add(name="n", value=job_pb2.Value(int_value=3), target=Target.TARGET_ARGUMENT, key="--n")
    job.parameters.add(name="fast", value=job_pb2.Value(bool_value=True), target=Target.TARGET_ARGUMENT)
    job.parameters.add(name="MODE", value=job_pb2.Value(string_value="quick"), target=Target.TARGET_ENV)
    job.parameters.add(name="only_substituted", value=job_pb2.Value(int_value=7))
    with_parameter(job, Target.TARGET_CONFIG_FILE, "conf/app.toml", "size = 64\n")
    run = events(local, allocate(local), job)
    assert run[-1].exit.status == pb.EXIT_STATUS_SUCCEEDED
    assert output_of(run) == b"--n 3 true quick\nsize = 64\n"


def test_a_config_file_outside_the_working_dir_is_refused(local: ProviderClient) -> None:
    job = with_parameter(sh("escape", "true"), Target.TARGET_CONFIG_FILE, "../../etc/evil.conf", "x")
    exit = events(local, allocate(local), job)[-1].exit
    assert exit.status == pb.EXIT_STATUS_ERROR
    assert exit.message == (
        "parameter 'evil.conf': config file '../../etc/evil.conf' must be a relative path inside the job's "
        "working directory"
    )


def _swappiness_writable() -> bool:
    return os.geteuid() == 0 and os.access(SWAPPINESS, os.W_OK)


@pytest.mark.skipif(not _swappiness_writable(), reason="needs root and a writable /proc/sys")
def test_system_settings_hold_while_the_job_runs_and_are_restored(local: ProviderClient) -> None:
    before = SWAPPINESS.read_text().strip()
    wanted = "11" if before != "11" else "12"
    job = with_parameter(sh("sysctl", f"cat {SWAPPINESS}"), Target.TARGET_SYSTEM, "vm.swappiness", wanted)
    run = events(local, allocate(local), job)
    assert run[-1].exit.status == pb.EXIT_STATUS_SUCCEEDED
    assert output_of(run) == f"{wanted}\n".encode()
    assert SWAPPINESS.read_text().strip() == before
    unknown = with_parameter(sh("unknown", "true"), Target.TARGET_SYSTEM, "vm.no_such_setting", "1")
    exit = events(local, allocate(local), unknown)[-1].exit
    missing = SWAPPINESS.parent / "no_such_setting"
    assert exit.message == f"system setting 'vm.no_such_setting': this kernel has no {missing}"


@pytest.fixture
def unprivileged_local(plugin_dir: Path) -> Iterator[ProviderClient]:
    """The local provider run as user nobody (allowed to read this checkout, nothing more)."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv to start the provider as another user")
    command = [
        setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
        "--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search",
        sys.executable, "-m", "benchhub.providers.local.main",
    ]
    path = plugin_dir / "bh-provider-local"
    path.write_text(f"#!/bin/sh\nexec {shlex.join(command)}\n")
    path.chmod(0o755)
    with launch("local", plugin_dir) as provider:
        yield provider


def test_without_root_system_settings_are_refused_and_metrics_fall_back(
    unprivileged_local: ProviderClient,
) -> None:
    allocation = allocate(unprivileged_local)
    job = with_parameter(sh("sysctl", "true"), Target.TARGET_SYSTEM, "vm.swappiness", "10")
    exit = events(unprivileged_local, allocation, job)[-1].exit
    assert exit.status == pb.EXIT_STATUS_ERROR
    assert exit.message == (
        "system settings vm.swappiness: they change the whole machine, "
        "so the local provider applies them only when it runs as root"
    )
    run = events(unprivileged_local, allocation, sh("plain", "echo hi"))
    running = running_message(run)
    why = "not running as root: job cgroups need root (or a delegated cgroup)"
    assert running.endswith(f"; resource metrics: rusage (no writable cgroup: {why})")
    assert [e.sample.source for e in run if e.HasField("sample")][-1] == "rusage"
    assert run[-1].exit.status == pb.EXIT_STATUS_SUCCEEDED and output_of(run) == b"hi\n"
