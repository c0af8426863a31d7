"""Test helper: a throw-away BenchHub project driven by the real `bh` program in a subprocess.

The fake providers of `tests/fakes/bin` are on the plugin path, next to the installed real ones.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Done = subprocess.CompletedProcess[str]
FAKES_BIN = Path(__file__).resolve().parent / "bin"
BH = [sys.executable, "-m", "benchhub.host.cli"]


@dataclass
class Project:
    root: Path

    @property
    def env(self) -> dict[str, str]:
        python_bin = str(Path(sys.executable).parent)
        return {**os.environ, "PATH": f"{python_bin}{os.pathsep}{os.environ['PATH']}",
                "BH_PLUGIN_PATH": str(FAKES_BIN), "COLUMNS": "200", "NO_COLOR": "1"}

    def write(self, text: str, name: str = "job.hcl") -> Path:
        path = self.root / name
        path.write_text(text)
        return path

    def bh(self, *args: str, timeout: float = 60, stdin: str | None = None) -> Done:
        return subprocess.run([*BH, *args], cwd=self.root, env=self.env, capture_output=True, text=True,
                              timeout=timeout, input=stdin)

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([*BH, *args], cwd=self.root, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def output(self, job: str, *args: str) -> str:
        """What `job` printed: `bh logs JOB ARGS` without the `[bh] ` lines of provider status."""
        done = self.bh("logs", job, *args)
        assert done.returncode == 0, done.stderr
        return "".join(line for line in done.stdout.splitlines(keepends=True) if not line.startswith("[bh] "))

    def apply_json(self, *args: str) -> tuple[int, list[dict[str, Any]]]:
        """`bh apply --auto-approve --json ARGS`: exit code and the events."""
        done = self.bh("apply", "--auto-approve", "--json", *args)
        events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        assert done.returncode in (0, 1), done.stderr
        return done.returncode, events


def of_type(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["event"] == kind]


def finished(events: list[dict[str, Any]]) -> dict[str, str]:
    """job id -> its final status (passed, failed, cancelled), plus "skipped" for skipped ones."""
    status = {e["job"]: "skipped" for e in of_type(events, "job.skipped")}
    status.update({e["job"]: e["status"] for e in of_type(events, "job.finished")})
    return status
