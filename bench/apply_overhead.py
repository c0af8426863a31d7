"""How much time `bh apply` adds around a job, and how many tiny jobs per second it runs.

1. `bh apply --auto-approve` of one job running `true` on the local provider: wall time of the
   whole command minus the job's own wall time, against `python -c "import grpc"` measured in the
   same run (target: overhead under 0.5 s; the ratio is printed).
2. A 200-job matrix of `true` at parallelism 2: jobs per second over the run.

    python bench/apply_overhead.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
ONE_JOB = 'job "noop" {\n  command = ["true"]\n}\n'
MATRIX = f"""
settings {{
  parallelism = 2
}}
job "noop" {{
  params {{
    i = [{", ".join(map(str, range(200)))}]
  }}
  command = ["true"]
}}
"""


def timed(argv: list[str], cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=ENV, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, done.stdout


def apply(project: Path) -> tuple[float, list[dict[str, object]]]:
    wall, out = timed([str(BIN / "bh"), "apply", "--auto-approve", "--json"], project)
    return wall, [json.loads(line) for line in out.splitlines()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory(prefix="bh-bench-") as tmp:
        project = Path(tmp) / "one"
        project.mkdir()
        (project / "job.hcl").write_text(ONE_JOB)
        apply(project)  # warm the page cache and create the state
        grpc_import = [sys.executable, "-c", "import grpc"]
        baseline = statistics.median(timed(grpc_import, project)[0] for _ in range(repeat))
        overheads, walls = [], []
        for _ in range(repeat):
            wall, events = apply(project)
            (finished,) = [e for e in events if e["event"] == "job.finished"]
            job_seconds = float(finished["duration_s"])  # type: ignore[arg-type]
            walls.append(wall)
            overheads.append(wall - job_seconds)
        overhead = statistics.median(overheads)
        print(f"one `true` job:    bh apply wall {statistics.median(walls):.3f} s, overhead {overhead:.3f} s "
              f"(median of {repeat}; target < 0.5 s: {'met' if overhead < 0.5 else 'NOT met'})")
        print(f"baseline:          python -c 'import grpc' {baseline:.3f} s")
        print(f"ratio:             overhead / baseline = {overhead / baseline:.2f}")

        project = Path(tmp) / "matrix"
        project.mkdir()
        (project / "job.hcl").write_text(MATRIX)
        wall, events = apply(project)
        (run,) = [e for e in events if e["event"] == "run.finished"]
        assert run["passed"] == 200, run
        run_seconds = float(run["duration_s"])  # type: ignore[arg-type]
        print(f"200-job matrix:    {200 / run_seconds:.1f} jobs/s over the run ({run_seconds:.2f} s), "
              f"{200 / wall:.1f} jobs/s including plan and startup ({wall:.2f} s), parallelism 2")


if __name__ == "__main__":
    main()
