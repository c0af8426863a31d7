"""What every framework shares: the sample it produces, the job it expands into, its error type."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any, Protocol

from benchhub.host.errors import BenchHubError

#: Where frameworks write the files the executor collects, relative to the job's working directory.
OUTPUT_DIR = ".bh-out"

#: Test frameworks store each test's outcome as this metric (see `Outcome`); it is never compared.
OUTCOME_METRIC = "outcome"


class Direction(StrEnum):
    """Whether a smaller or a larger value of a metric is better."""

    LOWER = "lower"
    HIGHER = "higher"


class Outcome(float, Enum):
    """Values of the `outcome` metric of a test."""

    PASSED = 1.0
    FAILED = 0.0
    SKIPPED = -1.0


@dataclass(frozen=True, slots=True)
class Sample:
    """One measured value: `iteration` numbers the repetitions of one benchmark and metric.

    `side` is empty, or "A"/"B" for samples of a paired (interleaved) job.
    """

    benchmark: str
    metric: str
    unit: str
    direction: Direction
    iteration: int
    value: float
    side: str = ""


@dataclass(frozen=True)
class FrameworkJob:
    """What a framework block becomes: the job's argv, extra env and the outputs to collect.

    `outputs` maps an output name to a glob relative to the job's working directory; the executor
    collects them into the outputs directory it later hands to `parse` (same relative paths).
    `display` is a short human form of the command for plans and logs.
    """

    command: list[str]
    display: str
    env: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)


class FrameworkError(BenchHubError):
    """A framework block is invalid, its tool is missing, or its output cannot be parsed."""


def making_output_dir(command: list[str]) -> list[str]:
    """`command` run after creating OUTPUT_DIR (for tools that do not create their report's directory)."""
    return ["sh", "-c", f'mkdir -p {OUTPUT_DIR} && exec "$@"', command[0], *command]


def read_output(files: Mapping[str, Path], output: str, missing: str) -> str:
    """The text of a collected output file, or FrameworkError(`missing`) when it was not collected."""
    path = files.get(output)
    if path is None or not path.is_file():
        raise FrameworkError(missing)
    return path.read_text(encoding="utf-8", errors="replace")


class Framework(Protocol):
    """One framework module's interface (see `benchhub.frameworks.registry`)."""

    name: str
    #: Executables the job needs on the machine that runs it.
    tools: tuple[str, ...]
    #: The attribute setting how many times the job measures (`count`, `runs`), None when it has none;
    #: a paired job runs that many rounds by default.
    repetitions: str | None

    def validate(self, attrs: Mapping[str, Any]) -> list[str]:
        """Error messages for the block's attributes; empty when valid."""
        ...

    def expand(self, attrs: Mapping[str, Any]) -> FrameworkJob:
        """The job a valid block runs."""
        ...

    def parse(self, attrs: Mapping[str, Any], stdout: str, files: Mapping[str, Path]) -> list[Sample]:
        """Samples from a finished job's stdout and collected files (output name -> file on the host).

        Raises `FrameworkError` when the output is unusable.
        """
        ...

    def single_round(self, attrs: Mapping[str, Any]) -> dict[str, Any]:
        """The block's attributes changed so that one run of the job measures one round (for pairing)."""
        ...
