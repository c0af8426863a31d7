"""`framework "command"`: any command, run `count` times after `warmup` runs.

Each run gives wall, user and sys time and peak memory (measured by `command_runner`, which the job
runs with `python3`), plus optional metrics read from a JSON file the command writes
(`metrics_file`: `{"name": 1.5}` or `{"name": {"value": 1.5, "unit": "ops/s", "direction": "higher"}}`)
or matched in its stdout (`regex = { name = "pattern with (one group)" }`). The benchmark is named
`name`, or after the job when that is empty.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from benchhub.frameworks import attrs as a
from benchhub.frameworks.base import OUTPUT_DIR, Direction, FrameworkError, FrameworkJob, Sample, read_output

name = "command"
tools = ("python3",)
repetitions: str | None = "count"

RUNNER_SOURCE = (Path(__file__).parent / "command_runner.py").read_text(encoding="utf-8")
RECORD = f"{OUTPUT_DIR}/command.json"

schema: a.Schema = {
    "command": a.Attr(a.Kind.COMMAND, required=True),
    "name": a.Attr(a.Kind.STRING, default=""),  # empty: the benchmark is named after the job
    "count": a.Attr(a.Kind.INT, default=5, minimum=1),
    "warmup": a.Attr(a.Kind.INT, default=0, minimum=0),
    "metrics_file": a.Attr(a.Kind.STRING),
    "regex": a.Attr(a.Kind.MAP, default={}),
    "units": a.Attr(a.Kind.MAP, default={}),
    "higher_is_better": a.Attr(a.Kind.STRINGS, default=[]),
}

_BUILTIN = (
    ("wall", "wall_s", "s"),
    ("user", "user_s", "s"),
    ("sys", "sys_s", "s"),
    ("peak_rss", "max_rss_bytes", "B"),
)


def validate(attrs: Mapping[str, Any]) -> list[str]:
    return a.check(name, schema, attrs)


def expand(attrs: Mapping[str, Any]) -> FrameworkJob:
    v = a.resolve(schema, attrs)
    command = a.argv(v["command"])
    spec = {
        "command": command,
        "count": v["count"],
        "warmup": v["warmup"],
        "out": RECORD,
        "metrics_file": v["metrics_file"],
        "regex": v["regex"],
    }
    warmup = f" after {v['warmup']} warmup" if v["warmup"] else ""
    return FrameworkJob(
        command=["python3", "-c", RUNNER_SOURCE, json.dumps(spec)],
        display=f"{a.display(command)}  (x{v['count']}{warmup}, measured)",
        outputs={"record": RECORD},
    )


def single_round(attrs: Mapping[str, Any]) -> dict[str, Any]:
    return {**attrs, "count": 1, "warmup": 0}


def _custom(metric: str, raw: Any, v: Mapping[str, Any]) -> tuple[float, str, Direction]:
    unit, higher = v["units"].get(metric, ""), metric in v["higher_is_better"]
    if isinstance(raw, dict):
        unit = raw.get("unit", unit)
        higher = raw.get("direction", "higher" if higher else "lower") == "higher"
        raw = raw.get("value")
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise FrameworkError(f"metric {metric!r}: {raw!r} is not a number")
    try:
        value = float(raw)
    except ValueError:
        raise FrameworkError(f"metric {metric!r}: {raw!r} is not a number") from None
    return value, unit, Direction.HIGHER if higher else Direction.LOWER


def _file_metrics(text: str | None, metrics_file: str) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        found = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FrameworkError(f"{metrics_file} is not valid JSON: {exc}") from None
    if not isinstance(found, dict):
        raise FrameworkError(f"{metrics_file} must hold a JSON object of metric names to values")
    return found


def _rep_samples(rep: Mapping[str, Any], v: Mapping[str, Any]) -> list[Sample]:
    i, bench = rep["iteration"], v["name"]
    samples = [Sample(bench, m, unit, Direction.LOWER, i, float(rep[key])) for m, key, unit in _BUILTIN]
    for metric, matched in rep["regex"].items():
        if matched is None:
            raise FrameworkError(f"run {i + 1}: regex for metric {metric!r} matched nothing in stdout")
        value, unit, direction = _custom(metric, matched, v)
        samples.append(Sample(bench, metric, unit, direction, i, value))
    for metric, raw in _file_metrics(rep["file_metrics"], v["metrics_file"]).items():
        value, unit, direction = _custom(metric, raw, v)
        samples.append(Sample(bench, metric, unit, direction, i, value))
    return samples


def parse(attrs: Mapping[str, Any], stdout: str, files: Mapping[str, Path]) -> list[Sample]:
    v = a.resolve(schema, attrs)
    text = read_output(files, "record", f"the command runner wrote no {RECORD} (is python3 on the runner?)")
    try:
        record = json.loads(text)
        reps = [rep for rep in record["reps"] if rep["exit_code"] == 0]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise FrameworkError(f"{RECORD} is malformed: {exc}") from None
    if record.get("error") and not reps:
        raise FrameworkError(record["error"])
    return [s for rep in reps for s in _rep_samples(rep, v)]
