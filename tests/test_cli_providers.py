"""`bh providers`: discovery, schema, and the lock file that refuses a changed provider executable."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "fakes"))
from project import FAKES_BIN, Project

MISBEHAVING = Path(__file__).parent / "plugins" / "fake_misbehaving_provider.py"

JOB = """
provider "fakecheap" {
  price = 1.0
}
job "a" {
  command  = ["true"]
  provider = "fakecheap"
}
"""


def test_list_and_schema(tmp_path: Path) -> None:
    project = Project(tmp_path)
    listed = project.bh("providers")
    assert listed.returncode == 0 and "fakecheap" in listed.stdout and "local" in listed.stdout
    (fakecheap,) = [line for line in listed.stdout.splitlines() if "fakecheap" in line]
    cells = [cell.strip() for cell in fakecheap.split("│")]
    assert cells[1:4] == ["fakecheap", "0.0.1-fake", "1"] and cells[4] == "BH_PLUGIN_PATH"
    assert cells[6] == "not locked"
    schema = project.bh("providers", "schema", "fakecheap")
    assert schema.returncode == 0 and "price" in schema.stdout and "number" in schema.stdout
    missing = project.bh("providers", "schema", "nosuch")
    assert missing.returncode == 1 and missing.stderr.startswith("Error: provider bh-provider-nosuch")


def test_lock_then_a_changed_executable_is_refused(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.write(JOB)
    own = tmp_path / ".bh" / "providers"
    own.mkdir(parents=True)
    executable = own / "bh-provider-fakecheap"  # the project's own provider is found first
    executable.write_text(
        f"#!{sys.executable}\nimport os, runpy\nos.environ['BH_FAKE_PROVIDER_NAME'] = 'fakecheap'\n"
        f"runpy.run_path({str(FAKES_BIN.parent / 'fake_cloud_provider.py')!r}, run_name='__main__')\n"
    )
    executable.chmod(0o755)
    locked = project.bh("providers", "lock")
    assert locked.returncode == 0 and "fakecheap" in locked.stdout
    assert 'provider "fakecheap"' in (tmp_path / ".bh.lock.hcl").read_text()
    assert project.bh("plan").returncode == 0
    assert "│ locked" in project.bh("providers").stdout
    with executable.open("a") as script:
        script.write("# changed\n")
    for command in ("plan", "apply"):
        refused = project.bh(command, "--auto-approve") if command == "apply" else project.bh(command)
        assert refused.returncode == 1 and "bh providers lock" in refused.stderr
        assert refused.stderr.startswith("Error: provider fakecheap: ")
        assert "Traceback" not in refused.stderr
    assert "│ changed" in project.bh("providers").stdout


def test_a_broken_provider_is_listed_with_its_error(tmp_path: Path) -> None:
    project = Project(tmp_path)
    own = tmp_path / ".bh" / "providers"
    own.mkdir(parents=True)
    for name, mode in (("early", "exit-early"), ("crashy", "crash-mid-call")):
        executable = own / f"bh-provider-{name}"
        executable.write_text(f"#!/bin/sh\nexec {sys.executable} {MISBEHAVING} {mode}\n")
        executable.chmod(0o755)
    listed = project.bh("providers")
    assert listed.returncode == 0, listed.stderr
    rows = {line.split("│")[1].strip(): line for line in listed.stdout.splitlines() if line.startswith("│")}
    assert "error" in rows["early"] and "error" in rows["crashy"] and "0.0.1-fake" in rows["fakecheap"]
    problems = " ".join(listed.stdout.split("┘", 1)[1].split())  # the lines after the table, unwrapped
    assert "early: provider " in problems and "exited with code 3 before its handshake" in problems
    assert "crashy: provider " in problems and "exited with code 7 during GetSchema" in problems
