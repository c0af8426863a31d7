"""Running an expanded framework job on this machine the way a provider does (no tests here)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from benchhub.frameworks import FrameworkJob

DATA = Path(__file__).parent / "data" / "frameworks"


def run_job(job: FrameworkJob, cwd: Path, timeout: float = 120) -> tuple[str, dict[str, Path], int]:
    """Run `job` in `cwd`; returns its stdout, its collected outputs (name -> file) and its exit code."""
    env = {**os.environ, "GOPROXY": "off", "GOFLAGS": "-mod=mod", **job.env}
    done = subprocess.run(job.command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    files = {}
    for name, glob in job.outputs.items():
        found = sorted(cwd.glob(glob))
        if found:
            files[name] = found[0]
    return done.stdout, files, done.returncode


def stored(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")
