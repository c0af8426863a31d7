"""`framework "gotest"`: `go test -json`, read as per-test pass/fail/skip and duration.

Each test is named `import/path.TestName[/subtest]`; a package that fails without any test result
(a build error, a panic before tests ran) becomes a failed pseudo-test named after the package.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from benchhub.frameworks import attrs as a
from benchhub.frameworks.base import OUTCOME_METRIC, Direction, FrameworkError, FrameworkJob, Outcome, Sample

name = "gotest"
tools = ("go",)
repetitions: str | None = "count"

schema: a.Schema = {
    "packages": a.Attr(a.Kind.STRINGS, default=["./..."]),
    "run": a.Attr(a.Kind.STRING),
    "count": a.Attr(a.Kind.INT, default=1, minimum=1),
    "tags": a.Attr(a.Kind.STRING),
    "race": a.Attr(a.Kind.BOOL, default=False),
    "args": a.Attr(a.Kind.STRINGS, default=[]),
}

_OUTCOMES = {"pass": Outcome.PASSED, "fail": Outcome.FAILED, "skip": Outcome.SKIPPED}


def validate(attrs: Mapping[str, Any]) -> list[str]:
    return a.check(name, schema, attrs)


def expand(attrs: Mapping[str, Any]) -> FrameworkJob:
    v = a.resolve(schema, attrs)
    command = ["go", "test", "-json", "-count", str(v["count"])]
    if v["run"]:
        command += ["-run", v["run"]]
    if v["tags"]:
        command += ["-tags", v["tags"]]
    if v["race"]:
        command.append("-race")
    command += [*v["args"], *v["packages"]]
    return FrameworkJob(command=command, display=a.display(command))


def single_round(attrs: Mapping[str, Any]) -> dict[str, Any]:
    return {**attrs, "count": 1}


def _events(stdout: str) -> list[dict[str, Any]]:
    events = []
    for line_no, line in enumerate(stdout.splitlines(), 1):
        if not line.startswith("{"):
            continue  # go prints build errors as plain text before the JSON stream
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            raise FrameworkError(f"line {line_no}: not a go test -json event: {line[:120]!r}") from None
        if isinstance(event, dict) and "Action" in event:
            events.append(event)
    return events


def parse(attrs: Mapping[str, Any], stdout: str, files: Mapping[str, Path]) -> list[Sample]:
    events = _events(stdout)
    if not events:
        raise FrameworkError("no go test -json events in the output")
    samples: list[Sample] = []
    runs: dict[str, int] = {}
    packages_with_tests = set()
    for event in events:
        outcome = _OUTCOMES.get(event["Action"])
        if outcome is None:
            continue
        package, test = event.get("Package", ""), event.get("Test")
        if test:
            packages_with_tests.add(package)
        elif outcome is not Outcome.FAILED or package in packages_with_tests:
            continue
        bench = f"{package}.{test}" if test else package
        i = runs[bench] = runs.get(bench, -1) + 1
        samples.append(Sample(bench, OUTCOME_METRIC, "", Direction.HIGHER, i, outcome.value))
        samples.append(Sample(bench, "duration", "s", Direction.LOWER, i, float(event.get("Elapsed", 0.0))))
    return samples
