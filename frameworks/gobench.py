"""`framework "gobench"`: `go test -run '^$' -bench … -benchmem -count N`, read as Go benchmark format.

A result line is `BenchmarkName[/sub]-PROCS  ITERATIONS  VALUE UNIT  [VALUE UNIT]...`; `key: value`
lines (goos, pkg, cpu, ...) configure the lines after them. The `-PROCS` suffix is dropped from the
name, as benchstat does. When a benchmark prints output, Go prints its name, the output, then its figures
on a later line; both forms are read.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchhub.frameworks import attrs as a
from benchhub.frameworks.base import Direction, FrameworkError, FrameworkJob, Sample

name = "gobench"
tools = ("go",)
repetitions: str | None = "count"

schema: a.Schema = {
    "packages": a.Attr(a.Kind.STRINGS, default=["./..."]),
    "bench": a.Attr(a.Kind.STRING, default="."),
    "count": a.Attr(a.Kind.INT, default=5, minimum=1),
    "benchtime": a.Attr(a.Kind.STRING),
    "benchmem": a.Attr(a.Kind.BOOL, default=True),
    "cpu": a.Attr(a.Kind.STRING),
    "tags": a.Attr(a.Kind.STRING),
    "args": a.Attr(a.Kind.STRINGS, default=[]),
}

#: Go's units -> (metric, direction).
_KNOWN_UNITS = {
    "ns/op": ("time", Direction.LOWER),
    "B/op": ("alloc_bytes", Direction.LOWER),
    "allocs/op": ("allocs", Direction.LOWER),
    "MB/s": ("throughput", Direction.HIGHER),
}

_NAME = re.compile(r"^Benchmark\S*$")
_PROCS = re.compile(r"-\d+$")
_CONFIG = re.compile(r"^([a-z][^\s:]*):\s*(.*)$")


def validate(attrs: Mapping[str, Any]) -> list[str]:
    return a.check(name, schema, attrs)


def expand(attrs: Mapping[str, Any]) -> FrameworkJob:
    v = a.resolve(schema, attrs)
    command = ["go", "test", "-run", "^$", "-bench", v["bench"], "-count", str(v["count"])]
    if v["benchmem"]:
        command.append("-benchmem")
    for flag in ("benchtime", "cpu", "tags"):
        if v[flag]:
            command += [f"-{flag}", v[flag]]
    command += [*v["args"], *v["packages"]]
    return FrameworkJob(command=command, display=a.display(command))


def single_round(attrs: Mapping[str, Any]) -> dict[str, Any]:
    return {**attrs, "count": 1}


def metric_of(unit: str) -> tuple[str, Direction]:
    """Metric name and direction of a Go benchmark unit; custom units that are rates are higher-better."""
    if unit in _KNOWN_UNITS:
        return _KNOWN_UNITS[unit]
    return unit, Direction.HIGHER if unit.endswith("/s") else Direction.LOWER


def _result(fields: list[str], pkg: str, seen: Counter[tuple[str, str, str]], line_no: int) -> list[Sample]:
    bench = _PROCS.sub("", fields[0].removeprefix("Benchmark")) or fields[0]
    if len(fields) < 4 or len(fields) % 2 != 0 or not fields[1].isdigit():
        raise FrameworkError(f"line {line_no}: not a Go benchmark result: {' '.join(fields)!r}")
    samples = []
    for value, unit in zip(fields[2::2], fields[3::2], strict=True):
        try:
            number = float(value)
        except ValueError:
            raise FrameworkError(f"line {line_no}: {value!r} is not a number ({fields[0]})") from None
        metric, direction = metric_of(unit)
        samples.append(Sample(bench, metric, unit, direction, seen[pkg, bench, metric], number))
        seen[pkg, bench, metric] += 1
    return samples


def parse_text(text: str) -> list[Sample]:
    """Samples from Go benchmark output (the `go test -bench` stdout).

    Names are qualified as `pkg.Name` when the output covers more than one package (`pkg:` lines).
    """
    by_pkg: dict[str, list[Sample]] = {}
    seen: Counter[tuple[str, str, str]] = Counter()
    config: dict[str, str] = {}
    pending = ""  # a benchmark name whose figures follow on a later line
    for line_no, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        found: list[Sample] = []
        if _NAME.match(fields[0]) and len(fields) > 1 and fields[1].isdigit():
            found, pending = _result(fields, config.get("pkg", ""), seen, line_no), ""
        elif _NAME.match(fields[0]):
            pending = fields[0]
        elif pending and fields[0].isdigit() and len(fields) >= 3:
            found, pending = _result([pending, *fields], config.get("pkg", ""), seen, line_no), ""
        elif configured := _CONFIG.match(line):
            config[configured[1]] = configured[2].strip()
        by_pkg.setdefault(config.get("pkg", ""), []).extend(found)
    packages = [pkg for pkg, samples in by_pkg.items() if samples]
    if len(packages) <= 1:
        return [s for samples in by_pkg.values() for s in samples]
    return [replace(s, benchmark=f"{pkg}.{s.benchmark}") for pkg in packages for s in by_pkg[pkg]]


def parse(attrs: Mapping[str, Any], stdout: str, files: Mapping[str, Path]) -> list[Sample]:
    samples = parse_text(stdout)
    if not samples:
        failed = [line for line in stdout.splitlines() if line.startswith(("FAIL", "--- FAIL", "#"))]
        why = f": {failed[0]}" if failed else " (did -bench match any benchmark?)"
        raise FrameworkError(f"no Go benchmark results in the output{why}")
    return samples
