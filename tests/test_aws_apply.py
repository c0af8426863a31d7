"""`bh apply` and `bh gc` with the aws provider, end to end: the real `bh`, the real bh-provider-aws plugin,
moto's EC2 server, and jobs really running over SSH on the test sshd standing in for the instances."""

from __future__ import annotations

import json
import os
import shlex
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cloud.helpers import Sshd, benchhub_instances, ec2

sys.path.insert(0, str(Path(__file__).parent / "fakes"))
from project import Project, finished, of_type

pytest_plugins = ["cloud.fixtures"]

INJECTING = Path(__file__).parent / "cloud" / "injecting_aws_provider.py"
SECRET = "fake-secret-6c1f0e2b"  # moto accepts any key; this one is easy to look for
PROVIDER = """
provider "aws" {
  regions                   = ["us-east-1"]
  endpoint_url              = "%(endpoint)s"
  ssh_cidr                  = "127.0.0.1/32"
  ssh_user                  = "%(user)s"
  ssh_host_override         = "%(ssh)s"
  key_dir                   = "%(root)s/keys"
  remote_dir                = "%(root)s/vm"
  interruption_poll_seconds = 0.3
  allocate_timeout_seconds  = %(allocate_timeout)d
}
"""


@dataclass
class AwsProject(Project):
    """A project with an aws provider block; its `bh-provider-aws` is the INJECTING one when `inject`
    rules are given."""

    settings: dict[str, Any] = field(default_factory=dict)
    inject: str = ""

    def write_job(self, job: str, **overrides: Any) -> None:
        self.write(PROVIDER % {**self.settings, **overrides} + job)

    @property
    def env(self) -> dict[str, str]:
        env = {**super().env, "AWS_SECRET_ACCESS_KEY": SECRET}
        if self.inject:
            plugins = self.root / "plugins"
            plugins.mkdir(exist_ok=True)
            wrapper = plugins / "bh-provider-aws"
            command = shlex.join([sys.executable, str(INJECTING)])
            wrapper.write_text(f"#!/bin/sh\nexec {command}\n")
            wrapper.chmod(0o755)
            env["BH_PLUGIN_PATH"] = f"{plugins}{os.pathsep}{env['BH_PLUGIN_PATH']}"
            env["BH_TEST_AWS_INJECT"] = self.inject
        return env


@pytest.fixture
def project(moto: str, sshd: Sshd, tmp_path: Path) -> AwsProject:
    settings = {
        "endpoint": moto,
        "user": sshd.user,
        "ssh": f"{sshd.host}:{sshd.port}",
        "root": tmp_path,
        "allocate_timeout": 60,
    }
    return AwsProject(tmp_path, settings)


def test_a_job_runs_on_an_ec2_instance_and_nothing_is_left(project: AwsProject, moto: str) -> None:
    project.write_job("""
job "hello" {
  command   = ["sh", "-c", "echo hello from the vm > out.txt; cat out.txt"]
  outputs   = { greeting = "out.txt" }
  resources { cpu = 2  memory = "4GiB" }
  placement { providers = ["aws"]  spot = false }
}
""")
    code, events = project.apply_json()
    assert code == 0, events
    assert finished(events) == {"hello": "passed"}
    (started,) = of_type(events, "job.started")
    assert started["provider"] == "aws" and started["offer"] == "ondemand:us-east-1::t3.medium"
    logs = project.bh("logs", "hello")
    assert logs.returncode == 0 and "hello from the vm" in logs.stdout, logs.stderr
    assert benchhub_instances(moto) == []
    written = [p for p in project.root.rglob("*") if p.is_file()]
    assert any(p.parent.name == ".bh" for p in written)
    assert not [p for p in written if SECRET.encode() in p.read_bytes()], "a credential was stored"
    assert ec2(moto).describe_key_pairs()["KeyPairs"] == []


def run_until(
    project: AwsProject, event: str, then: Callable[[dict[str, Any]], None]
) -> list[dict[str, Any]]:
    """`bh apply --auto-approve --json`, calling `then(e)` at the first event of type `event`; all events."""
    bh = project.start("apply", "--auto-approve", "--json")
    assert bh.stdout is not None
    events = []
    for line in bh.stdout:
        events.append(json.loads(line))
        if events[-1]["event"] == event and len(of_type(events, event)) == 1:
            then(events[-1])
    bh.wait(timeout=60)
    return events


def test_capacity_errors_fail_over_to_the_next_offer(project: AwsProject, moto: str) -> None:
    project.inject = "RunInstances=InsufficientInstanceCapacity@t3.medium"  # INJECTED: moto never runs out
    project.write_job("""
job "hello" {
  command   = ["echo", "hello"]
  resources { cpu = 2  memory = "4GiB" }
  placement { providers = ["aws"]  spot = false }
}
""")
    code, events = project.apply_json()
    assert code == 0, events
    (failed,) = of_type(events, "allocation.failed")
    assert failed["offer"] == "ondemand:us-east-1::t3.medium" and failed["reason"] == "capacity"
    (started,) = of_type(events, "job.started")
    assert started["offer"] == "ondemand:us-east-1::t3.large"
    assert finished(events) == {"hello": "passed"}
    assert benchhub_instances(moto) == []


def test_a_preempted_spot_job_is_requeued(project: AwsProject, moto: str, tmp_path: Path) -> None:
    marker = tmp_path / "ran-once"
    project.write_job(f"""
job "long" {{
  command   = ["sh", "-c", "if [ -e {marker} ]; then echo second try; else touch {marker}; sleep 60; fi"]
  retries   = 1
  resources {{ cpu = 2  memory = "4GiB" }}
  placement {{ providers = ["aws"]  spot = "prefer" }}
}}
""")

    def reclaim(started: dict[str, Any]) -> None:  # INJECTED: AWS takes the spot instance back
        def terminate() -> None:
            time.sleep(1.0)
            (instance,) = benchhub_instances(moto)
            ec2(moto).terminate_instances(InstanceIds=[instance["InstanceId"]])

        threading.Thread(target=terminate, daemon=True).start()

    events = run_until(project, "job.started", reclaim)
    first, second = of_type(events, "job.started")
    assert first["offer"].startswith("spot:us-east-1:") and second["allocation"] != first["allocation"]
    assert [e["reason"] for e in of_type(events, "job.retrying")] == ["preempted"]
    assert finished(events) == {"long": "passed"}
    assert benchhub_instances(moto) == []


def test_gc_terminates_what_a_killed_apply_left(project: AwsProject, moto: str) -> None:
    project.write_job("""
job "long" {
  command   = ["sleep", "60"]
  placement { providers = ["aws"]  spot = false }
}
""")
    bh = project.start("apply", "--auto-approve", "--json")
    assert bh.stdout is not None
    for line in bh.stdout:
        if json.loads(line)["event"] == "job.started":
            bh.send_signal(signal.SIGKILL)
            break
    bh.wait(timeout=10)
    assert len(benchhub_instances(moto)) == 1
    done = project.bh("gc", "--auto-approve")
    assert done.returncode == 0, done.stderr
    assert "Released 1 orphaned allocation(s)." in done.stdout
    assert benchhub_instances(moto) == []
    assert ec2(moto).describe_key_pairs()["KeyPairs"] == []


def test_ctrl_c_during_allocate_then_gc_leaves_nothing(project: AwsProject, moto: str) -> None:
    # The instance never answers SSH (nothing listens on port 9): Allocate is still waiting at Ctrl-C.
    # `bh` waits for the Allocate call in flight, which gives up after allocate_timeout_seconds.
    job = """
job "never" {
  command   = ["true"]
  placement { providers = ["aws"]  spot = false }
}
"""
    project.write_job(job, ssh="127.0.0.1:9", allocate_timeout=8)
    bh = project.start("apply", "--auto-approve", "--json")
    deadline = time.monotonic() + 30
    while not benchhub_instances(moto) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert benchhub_instances(moto), "Allocate never launched an instance"
    bh.send_signal(signal.SIGINT)
    assert bh.wait(timeout=60) != 0
    done = project.bh("gc", "--auto-approve")
    assert done.returncode == 0, done.stderr
    assert benchhub_instances(moto) == []
    assert ec2(moto).describe_key_pairs()["KeyPairs"] == []
