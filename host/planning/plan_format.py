"""Telling a saved plan from a job file, without loading what reading either one needs."""

from __future__ import annotations

from pathlib import Path

FORMAT = "benchhub-plan/1"
SUFFIX = ".bhplan"


def is_plan_file(path: Path) -> bool:
    if path.suffix == SUFFIX:
        return True
    try:
        with path.open("rb") as f:
            return b'"format": "benchhub-plan/' in f.read(64)
    except OSError:
        return False
