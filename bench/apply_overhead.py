"""How much time `bh apply` adds around a job, and how many tiny jobs per second it runs.

1. `bh apply --auto-approve` of one job running `true` on the local provider: wall time of the
   whole command minus the job's own wall time, against `python -c "import grpc"` measured in the
   same run (target: overhead under 0.5 s; the ratio is printed).
2. A 200-job matrix of `true` at parallelism 2: jobs per second over the run.

`bh` and the providers run as installed: compiled bytecode cached (in a private
PYTHONPYCACHEPREFIX, so the work tree stays clean), the real executables beside this Python rather
than a version manager's shims, and a private cache directory (XDG_CACHE_HOME) where the job file's
parsed form is kept between runs. The one-job figure is also printed for a job file edited before
every run (parsed each time), and, when the environment sets PYTHONDONTWRITEBYTECODE (every launch of
`bh` and of each provider then compiles BenchHub's modules from source), that way too.

    python bench/apply_overhead.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
AS_RUN = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
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


def installed(tmp: Path) -> dict[str, str]:
    env = {**AS_RUN, "PYTHONPYCACHEPREFIX": str(tmp / "pycache"), "XDG_CACHE_HOME": str(tmp / "cache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, done.stdout


def apply(project: Path, env: dict[str, str]) -> tuple[float, list[dict[str, object]]]:
    wall, out = timed([str(BIN / "bh"), "apply", "--auto-approve", "--json"], project, env)
    return wall, [json.loads(line) for line in out.splitlines()]


def cpu_seconds() -> float:
    """User + system time of the finished child processes (`bh` with its provider plugins)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_job(
    project: Path, env: dict[str, str], repeat: int, *, edited: bool = False
) -> tuple[float, float, float]:
    """Medians of `bh apply`'s wall time, of its overhead (wall minus the job's own time), and of
    the CPU time of `bh` and its plugin (steadier than wall time on a busy machine). `edited`
    changes the job file before every run, so that it is parsed every time."""
    apply(project, env)  # warm the page cache (and the bytecode cache) and create the state
    overheads, walls, cpus = [], [], []
    for n in range(repeat):
        if edited:
            (project / "job.hcl").write_text(f"# edit {n}\n{ONE_JOB}")
        cpu = cpu_seconds()
        wall, events = apply(project, env)
        cpus.append(cpu_seconds() - cpu)
        (finished,) = [e for e in events if e["event"] == "job.finished"]
        walls.append(wall)
        overheads.append(wall - float(finished["duration_s"]))  # type: ignore[arg-type]
    return statistics.median(walls), statistics.median(overheads), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory(prefix="bh-bench-") as tmp:
        env = installed(Path(tmp))
        project = Path(tmp) / "one"
        project.mkdir()
        (project / "job.hcl").write_text(ONE_JOB)
        grpc_import = [sys.executable, "-c", "import grpc"]
        timed(grpc_import, project, env)
        baseline = statistics.median(timed(grpc_import, project, env)[0] for _ in range(repeat))
        wall, overhead, cpu = one_job(project, env, repeat)
        print(
            f"one `true` job:    bh apply wall {wall:.3f} s, overhead {overhead:.3f} s "
            f"(median of {repeat}; target < 0.5 s: {'met' if overhead < 0.5 else 'NOT met'}), "
            f"CPU of bh + plugin {cpu:.3f} s"
        )
        print(f"baseline:          python -c 'import grpc' {baseline:.3f} s")
        print(f"ratio:             overhead / baseline = {overhead / baseline:.2f}")
        wall, overhead, cpu = one_job(project, env, repeat, edited=True)
        print(
            f"job file edited before each run: bh apply wall {wall:.3f} s, overhead {overhead:.3f} s "
            f"(ratio {overhead / baseline:.2f}), CPU {cpu:.3f} s: parsed each time"
        )
        if "PYTHONDONTWRITEBYTECODE" in os.environ:
            wall, overhead, cpu = one_job(
                project, {**AS_RUN, "XDG_CACHE_HOME": env["XDG_CACHE_HOME"]}, repeat
            )
            print(
                f"PYTHONDONTWRITEBYTECODE is set: bh apply wall {wall:.3f} s, overhead {overhead:.3f} s "
                f"(ratio {overhead / baseline:.2f}), CPU {cpu:.3f} s: modules compile at each launch"
            )

        project = Path(tmp) / "matrix"
        project.mkdir()
        (project / "job.hcl").write_text(MATRIX)
        wall, events = apply(project, env)
        (run,) = [e for e in events if e["event"] == "run.finished"]
        assert run["passed"] == 200, run
        run_seconds = float(run["duration_s"])  # type: ignore[arg-type]
        print(
            f"200-job matrix:    {200 / run_seconds:.1f} jobs/s over the run ({run_seconds:.2f} s), "
            f"{200 / wall:.1f} jobs/s including plan and startup ({wall:.2f} s), parallelism 2"
        )


if __name__ == "__main__":
    main()
