"""`framework "hyperfine"`: hyperfine's `--export-json` per-run wall times, one benchmark per command."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from benchhub.frameworks import attrs as a
from benchhub.frameworks.base import (
    OUTPUT_DIR,
    Direction,
    FrameworkError,
    FrameworkJob,
    Sample,
    making_output_dir,
    read_output,
)

name = "hyperfine"
tools = ("hyperfine",)
repetitions: str | None = "runs"

EXPORT = f"{OUTPUT_DIR}/hyperfine.json"

schema: a.Schema = {
    "commands": a.Attr(a.Kind.STRINGS, required=True),
    "names": a.Attr(a.Kind.STRINGS, default=[]),
    "runs": a.Attr(a.Kind.INT, default=10, minimum=1),
    "warmup": a.Attr(a.Kind.INT, default=0, minimum=0),
    "shell": a.Attr(a.Kind.BOOL, default=True),
    "args": a.Attr(a.Kind.STRINGS, default=[]),
}


def validate(attrs: Mapping[str, Any]) -> list[str]:
    errors = a.check(name, schema, attrs)
    names, commands = attrs.get("names", []), attrs.get("commands", [])
    if not errors and names and len(names) != len(commands):
        errors.append(f'framework "{name}": "names" needs one name per command ({len(commands)})')
    return errors


def expand(attrs: Mapping[str, Any]) -> FrameworkJob:
    v = a.resolve(schema, attrs)
    command = ["hyperfine", "--style", "basic", "--export-json", EXPORT, "--runs", str(v["runs"])]
    command += ["--warmup", str(v["warmup"])] if v["warmup"] else []
    command += [] if v["shell"] else ["--shell=none"]
    for label in v["names"]:
        command += ["--command-name", label]
    command += [*v["args"], *v["commands"]]
    outputs = {"export": EXPORT}
    return FrameworkJob(command=making_output_dir(command), display=a.display(command), outputs=outputs)


def single_round(attrs: Mapping[str, Any]) -> dict[str, Any]:
    return {**attrs, "runs": 1, "warmup": 0}


def parse_export(text: str) -> list[Sample]:
    try:
        results = json.loads(text)["results"]
        return [
            Sample(r["command"], "wall", "s", Direction.LOWER, i, float(t))
            for r in results
            for i, t in enumerate(r["times"])
        ]
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise FrameworkError(f"{EXPORT} is not hyperfine JSON: {exc!r}") from None


def parse(attrs: Mapping[str, Any], stdout: str, files: Mapping[str, Path]) -> list[Sample]:
    return parse_export(read_output(files, "export", f"hyperfine wrote no {EXPORT}"))
