"""`bh providers`: discovery, schema, and the lock file that refuses a changed provider executable."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "fakes"))
from project import FAKES_BIN, Project

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
    with executable.open("a") as script:
        script.write("# changed\n")
    refused = project.bh("plan")
    assert refused.returncode == 1 and "bh providers lock" in refused.stderr
    assert "Traceback" not in refused.stderr
