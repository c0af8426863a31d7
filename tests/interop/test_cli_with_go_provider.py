"""`bh plan` and `bh apply` use the go-plugin provider bh-provider-gocatalog like any other provider."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

JOB_FILE = """
provider "gocatalog" {
  price_factor = 2
}

job "hello" {
  provider = "gocatalog"
  command  = "echo hello from go; echo 42 > answer.txt"
  resources {
    cpu = 2
  }
  outputs {
    answer = "answer.txt"
  }
}

job "check" {
  provider   = "gocatalog"
  depends_on = ["hello"]
  inputs     = [job.hello.outputs.answer]
  command    = "test \\"$(cat answer.txt)\\" = 42 && test %s \\"$PLUGIN_CLIENT_CERT\\""
}
"""


def running(executable: Path) -> list[int]:
    """Pids of the live processes running `executable`."""
    pids = []
    for exe in Path("/proc").glob("[0-9]*/exe"):
        try:
            if exe.resolve() == executable.resolve():
                pids.append(int(exe.parent.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return pids


def bh(project: Path, env: dict[str, str], *args: str) -> list[dict[str, Any]]:
    """Run `bh ARGS --json` in `project`; its JSON events."""
    done = subprocess.run(
        [sys.executable, "-m", "benchhub.host.cli", *args, "--json"],
        cwd=project, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, f"bh {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


@pytest.mark.parametrize("automtls", [False, True], ids=["plain", "mtls"])
def test_plan_and_apply_on_the_go_provider(go_bin: Path, tmp_path: Path, automtls: bool) -> None:
    # The check job sees the provider's environment: PLUGIN_CLIENT_CERT is there exactly when the host
    # asked for AutoMTLS, and go-plugin then serves TLS only, so a passing run proves the mode.
    (tmp_path / "job.hcl").write_text(JOB_FILE % ("-n" if automtls else "-z"))
    env = {**os.environ, "BH_PLUGIN_PATH": str(go_bin), "BH_PLUGIN_AUTOMTLS": "1" if automtls else "0"}
    already_running = set(running(go_bin / "bh-provider-gocatalog"))
    [plan] = bh(tmp_path, env, "plan", "job.hcl")
    chosen = {job["id"]: (job["provider"], job["offer"]) for job in plan["jobs"]}
    assert chosen == {"hello": ("gocatalog", "go-1/medium"), "check": ("gocatalog", "go-1/small")}
    assert plan["currency"] == "USD" and plan["total_cost"] > 0

    events = bh(tmp_path, env, "apply", "--auto-approve", "job.hcl")
    finished = {e["job"]: e for e in events if e["event"] == "job.finished"}
    assert {job: e["status"] for job, e in finished.items()} == {"hello": "passed", "check": "passed"}
    assert all(e["cost"] > 0 for e in finished.values())  # billed at the Go catalog's prices
    [run] = [e for e in events if e["event"] == "run.finished"]
    assert (run["status"], run["passed"]) == ("passed", 2)
    assert set(running(go_bin / "bh-provider-gocatalog")) <= already_running  # bh stopped its providers
