"""`bh init`: a starter job file and the project's `.bh/` state directory."""

from __future__ import annotations

from pathlib import Path

from benchhub.host.errors import UsageError
from benchhub.host.state import State, default_state_path

STARTER = """\
# A BenchHub job file. `bh plan` shows what would run where; `bh apply` runs it.
# Without a provider block, jobs run as processes on this machine (the `local` provider).

settings {
  parallelism = 2
}

job "hello" {
  command = ["python3", "-c", "print('hello from BenchHub')"]
}

# A matrix: one job per value of `size`, each recorded with its parameter.
job "count" {
  params {
    size = [1000, 100000]
  }
  command    = ["python3", "-c", "print(sum(range(${param.size})))"]
  depends_on = ["hello"]
}
"""


def write_starter(project: Path, *, force: bool) -> list[str]:
    """Create `job.hcl` (unless it exists and not `force`) and the state; returns what was done."""
    job_file = project / "job.hcl"
    if job_file.exists() and not force:
        raise UsageError(f"{job_file} already exists; pass --force to overwrite it")
    job_file.write_text(STARTER)
    state_path = default_state_path(project)
    State(state_path).close()
    return [f"Wrote {job_file.name} and {state_path.parent.name}/.", "Next: bh plan, then bh apply."]
