"""Runs one command alternately in two source trees (A, B, A, B, ...) and keeps each run's output apart.

Shipped to the job as `python3 -c <this file's source> <spec json>`, so it uses the standard library
only (Python 3.7 or newer) and must not import anything from benchhub. The spec holds: command
(argv), env (extra variables), sides ([[label, directory], ...]), rounds, warmup (unrecorded rounds
first), outputs (output name -> glob relative to a side's directory) and out (the directory
receiving `<side>/<round>/stdout` and `<side>/<round>/<output name>` for every recorded run).
Arguments after the spec (a job's argument parameters) are appended to the command, as they would be
to the command of an unpaired job.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
from typing import Any

NOT_FOUND = 127


def _run(spec: dict[str, Any], directory: str, target: str | None) -> int:
    env = {**os.environ, **spec["env"]}
    command = [*spec["command"], *spec["arguments"]]
    done = subprocess.run(command, cwd=directory, env=env, stdout=subprocess.PIPE, check=False)
    sys.stdout.buffer.write(done.stdout)
    sys.stdout.flush()
    if target is None:
        return done.returncode
    os.makedirs(target, exist_ok=True)
    with open(os.path.join(target, "stdout"), "wb") as f:
        f.write(done.stdout)
    for name, pattern in spec["outputs"].items():
        for found in sorted(glob.glob(os.path.join(directory, pattern), recursive=True))[:1]:
            shutil.move(found, os.path.join(target, name))
    return done.returncode


def main(spec: dict[str, Any]) -> int:
    worst = 0
    try:
        for round_ in range(spec["warmup"] + spec["rounds"]):
            recorded = round_ - spec["warmup"]
            for label, directory in spec["sides"]:
                target = None if recorded < 0 else os.path.join(spec["out"], label, str(recorded))
                print(f"bh pair runner: side {label} round {round_ + 1}", file=sys.stderr, flush=True)
                worst = max(worst, _run(spec, directory, target))
    except FileNotFoundError as exc:
        print(f"bh pair runner: command not found: {exc.filename}", file=sys.stderr)
        return NOT_FOUND
    return worst


if __name__ == "__main__":
    sys.exit(main({**json.loads(sys.argv[1]), "arguments": sys.argv[2:]}))
