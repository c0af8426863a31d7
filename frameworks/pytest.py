"""`framework "pytest"`: pass/fail/skip per test from JUnit XML, and pytest-benchmark's raw timings.

With `benchmark = true` the job also writes pytest-benchmark's `--benchmark-json`, whose per-round
times (`stats.data`) become `time` samples named by the benchmark's full node id.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from benchhub.frameworks import attrs as a
from benchhub.frameworks.base import (
    OUTCOME_METRIC,
    OUTPUT_DIR,
    Direction,
    FrameworkError,
    FrameworkJob,
    Outcome,
    Sample,
    making_output_dir,
    read_output,
)

name = "pytest"
tools = ("python3",)
repetitions: str | None = None

JUNIT = f"{OUTPUT_DIR}/junit.xml"
BENCHMARK_JSON = f"{OUTPUT_DIR}/benchmark.json"

schema: a.Schema = {
    "paths": a.Attr(a.Kind.STRINGS, default=[]),
    "args": a.Attr(a.Kind.STRINGS, default=[]),
    "benchmark": a.Attr(a.Kind.BOOL, default=False),
    "python": a.Attr(a.Kind.STRING, default="python3"),
}


def validate(attrs: Mapping[str, Any]) -> list[str]:
    return a.check(name, schema, attrs)


def expand(attrs: Mapping[str, Any]) -> FrameworkJob:
    v = a.resolve(schema, attrs)
    command = [v["python"], "-m", "pytest", f"--junitxml={JUNIT}", "-p", "no:cacheprovider"]
    outputs = {"junit": JUNIT}
    if v["benchmark"]:
        command.append(f"--benchmark-json={BENCHMARK_JSON}")
        outputs["benchmark"] = BENCHMARK_JSON
    command += [*v["args"], *v["paths"]]
    return FrameworkJob(command=making_output_dir(command), display=a.display(command), outputs=outputs)


def single_round(attrs: Mapping[str, Any]) -> dict[str, Any]:
    return dict(attrs)


def _outcome(case: ET.Element) -> Outcome:
    if case.find("failure") is not None or case.find("error") is not None:
        return Outcome.FAILED
    return Outcome.SKIPPED if case.find("skipped") is not None else Outcome.PASSED


def parse_junit(text: str) -> list[Sample]:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise FrameworkError(f"{JUNIT} is not valid XML: {exc}") from None
    samples: list[Sample] = []
    runs: dict[str, int] = {}
    for case in root.iter("testcase"):
        classname, test = case.get("classname", ""), case.get("name", "")
        bench = f"{classname}.{test}" if classname else test
        i = runs[bench] = runs.get(bench, -1) + 1
        samples.append(Sample(bench, OUTCOME_METRIC, "", Direction.HIGHER, i, _outcome(case).value))
        samples.append(Sample(bench, "duration", "s", Direction.LOWER, i, float(case.get("time") or 0.0)))
    return samples


def parse_benchmark_json(text: str) -> list[Sample]:
    try:
        benchmarks = json.loads(text)["benchmarks"]
        return [
            Sample(b["fullname"], "time", "s", Direction.LOWER, i, float(t))
            for b in benchmarks
            for i, t in enumerate(b["stats"]["data"])
        ]
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise FrameworkError(f"{BENCHMARK_JSON} is not pytest-benchmark JSON: {exc!r}") from None


def parse(attrs: Mapping[str, Any], stdout: str, files: Mapping[str, Path]) -> list[Sample]:
    v = a.resolve(schema, attrs)
    missing = f"pytest wrote no {JUNIT} (is it installed for {v['python']}?)"
    samples = parse_junit(read_output(files, "junit", missing))
    if v["benchmark"]:
        missing = f"pytest wrote no {BENCHMARK_JSON} (is pytest-benchmark installed?)"
        samples += parse_benchmark_json(read_output(files, "benchmark", missing))
    return samples
