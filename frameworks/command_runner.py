"""Runs a command `warmup + count` times and records wall, user, sys time and peak memory of each run.

Shipped to the job as `python3 -c <this file's source> <spec json>`, so it uses the standard library
only (Python 3.7 or newer) and must not import anything from benchhub. The spec holds: command
(argv), count, warmup, out (the JSON file written), metrics_file (a JSON file the command may write
each run, or null) and regex (metric name -> pattern whose first group is read from the stdout).
Arguments after the spec (a job's argument parameters) are appended to the command.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from typing import Any

NOT_FOUND = 127


def _peak_bytes(max_rss: int) -> int:
    return max_rss if sys.platform == "darwin" else max_rss * 1024


def _run_once(command: list[str], metrics_file: str | None, regex: dict[str, str]) -> dict[str, Any]:
    if metrics_file and os.path.exists(metrics_file):
        os.remove(metrics_file)
    with tempfile.TemporaryFile() as captured:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=captured)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -os.WTERMSIG(status)
        captured.seek(0)
        text = captured.read().decode("utf-8", "replace")
    sys.stdout.write(text)
    sys.stdout.flush()
    matches: dict[str, str | None] = {}
    rep: dict[str, Any] = {
        "wall_s": wall,
        "user_s": usage.ru_utime,
        "sys_s": usage.ru_stime,
        "max_rss_bytes": _peak_bytes(usage.ru_maxrss),
        "exit_code": proc.returncode,
        "regex": matches,
        "file_metrics": None,
    }
    for name, pattern in regex.items():
        found = re.search(pattern, text, re.MULTILINE)
        matches[name] = found.group(1) if found and found.groups() else None
    if metrics_file and os.path.exists(metrics_file):
        with open(metrics_file, encoding="utf-8") as f:
            rep["file_metrics"] = f.read()
    return rep


def main(spec: dict[str, Any]) -> int:
    reps: list[dict[str, Any]] = []
    record: dict[str, Any] = {"reps": reps, "error": None}
    code = 0
    try:
        for i in range(spec["warmup"] + spec["count"]):
            rep = _run_once([*spec["command"], *spec["arguments"]], spec["metrics_file"], spec["regex"])
            if i >= spec["warmup"]:
                rep["iteration"] = i - spec["warmup"]
                reps.append(rep)
            if rep["exit_code"] != 0:
                record["error"] = f"command exited with {rep['exit_code']} on run {i + 1}"
                code = rep["exit_code"] if rep["exit_code"] > 0 else 1
                break
    except FileNotFoundError as exc:
        record["error"] = f"command not found: {exc.filename}"
        code = NOT_FOUND
    out_dir = os.path.dirname(spec["out"])
    if out_dir:
        os.makedirs(out_dir, exist_ok=True)
    with open(spec["out"], "w", encoding="utf-8") as f:
        json.dump(record, f)
    if record["error"]:
        print(f"bh command runner: {record['error']}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main({**json.loads(sys.argv[1]), "arguments": sys.argv[2:]}))
