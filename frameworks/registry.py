"""The known frameworks by name, and the calls config, the executor and results make on them."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from benchhub.frameworks import command, gobench, gotest, hyperfine, pytest
from benchhub.frameworks.base import Framework, FrameworkError, FrameworkJob, Sample

#: Exit status of a shell or runner that could not find the program to start.
COMMAND_NOT_FOUND = 127

FRAMEWORKS: dict[str, Framework] = {f.name: f for f in (command, gotest, gobench, pytest, hyperfine)}


def get(kind: str) -> Framework:
    try:
        return FRAMEWORKS[kind]
    except KeyError:
        known = ", ".join(sorted(FRAMEWORKS))
        raise FrameworkError(f'unknown framework "{kind}" (known: {known})') from None


def validate(kind: str, attrs: Mapping[str, Any]) -> list[str]:
    """Error messages for a `framework "kind" { attrs }` block; empty when it is valid."""
    try:
        return get(kind).validate(attrs)
    except FrameworkError as exc:
        return [str(exc)]


def expand(kind: str, attrs: Mapping[str, Any]) -> FrameworkJob:
    """The command, env and outputs of a job with this (validated, parameter-substituted) block."""
    return get(kind).expand(attrs)


def missing_tools(kind: str) -> list[str]:
    """The framework's tools that are not on this machine's PATH (a preflight for local jobs)."""
    return [tool for tool in get(kind).tools if shutil.which(tool) is None]


def parse(
    kind: str, attrs: Mapping[str, Any], stdout: str, files: Mapping[str, Path], exit_code: int = 0
) -> list[Sample]:
    """Samples of a finished job; FrameworkError when its tool was missing or its output is unusable."""
    framework = get(kind)
    try:
        return framework.parse(attrs, stdout, files)
    except FrameworkError:
        if exit_code == COMMAND_NOT_FOUND:
            tools = " or ".join(framework.tools)
            raise FrameworkError(f"{tools} not found on the machine that ran the job (exit 127)") from None
        raise
