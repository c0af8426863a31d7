"""A paired job's command given extra arguments (a job's argument parameters) passes them on to every
round of both sides, as an unpaired job's command framework does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from benchhub import frameworks
from benchhub.frameworks.paired import expand_paired, parse_paired

ECHO = "import sys; print('args', *sys.argv[1:]); print('v=' + sys.argv[-1])"
ATTRS = {"command": [sys.executable, "echo.py"], "regex": {"v": "v=([0-9.]+)"}}


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60, check=True)


def test_argument_parameters_reach_the_benchmark_on_both_sides(tmp_path: Path) -> None:
    for side in ("a", "b"):
        (tmp_path / side).mkdir()
        (tmp_path / side / "echo.py").write_text(ECHO)
    job = expand_paired("command", ATTRS, rounds=2, warmup=0)
    done = _run([*job.command, "--size", "7.5"], tmp_path)
    assert done.stdout.count("args --size 7.5") == 4  # 2 rounds x 2 sides
    samples = parse_paired("command", ATTRS, tmp_path / ".bh-out" / "pair")
    values = sorted((s.side, s.value) for s in samples if s.metric == "v")
    assert values == [("A", 7.5), ("A", 7.5), ("B", 7.5), ("B", 7.5)]


def test_unpaired_command_jobs_take_argument_parameters_too(tmp_path: Path) -> None:
    (tmp_path / "echo.py").write_text(ECHO)
    job = frameworks.expand("command", {**ATTRS, "count": 3})
    done = _run([*job.command, "3.25"], tmp_path)
    assert done.stdout.count("args 3.25") == 3
    files = {"record": tmp_path / ".bh-out" / "command.json"}
    samples = frameworks.parse("command", {**ATTRS, "count": 3}, done.stdout, files)
    assert [s.value for s in samples if s.metric == "v"] == [3.25] * 3
