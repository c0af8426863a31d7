"""Paired A/B jobs: one job runs a framework's command alternately in two source trees on one machine.

Machine noise (other tenants, thermal state, frequency scaling) then hits both sides alike. The
executor places snapshot A at `a/` and snapshot B at `b/` in the job's working directory, runs the
job from `expand_paired`, collects its `pair` output and hands the collected directory to
`parse_paired`, which returns each round's samples tagged with their side ("A" or "B").
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from benchhub.frameworks.base import OUTPUT_DIR, FrameworkError, FrameworkJob, Sample
from benchhub.frameworks.registry import FRAMEWORKS, get

SIDES = (("A", "a"), ("B", "b"))
#: The framework kind a paired job is planned with; its attributes are a `PairedBlock`'s `to_attrs()`.
PAIRED = "paired"
PAIR_DIR = f"{OUTPUT_DIR}/pair"
PAIR_OUTPUT = "pair"
RUNNER_SOURCE = (Path(__file__).parent / "pair_runner.py").read_text(encoding="utf-8")
DEFAULT_ROUNDS = 10


def rounds_of(kind: str, attrs: Mapping[str, Any]) -> int:
    """How many rounds a paired job of this block runs by default: the block's own repetitions."""
    framework = FRAMEWORKS.get(kind)
    attr = framework.repetitions if framework else None
    value = attrs.get(attr, DEFAULT_ROUNDS) if attr else DEFAULT_ROUNDS
    return value if isinstance(value, int) and value > 1 else DEFAULT_ROUNDS


@dataclass(frozen=True)
class PairedBlock:
    """A paired job's framework: the job file's block, and the digests of the snapshots of sides A, B."""

    kind: str
    attrs: Mapping[str, Any]
    snapshots: tuple[str | None, str | None]

    def to_attrs(self) -> dict[str, Any]:
        return {"kind": self.kind, "attrs": dict(self.attrs), "snapshots": list(self.snapshots)}

    @classmethod
    def from_attrs(cls, attrs: Mapping[str, Any]) -> PairedBlock:
        a, b = attrs["snapshots"]
        return cls(attrs["kind"], attrs["attrs"], (a, b))


def expand_paired(
    kind: str, attrs: Mapping[str, Any], rounds: int | None = None, warmup: int = 1, workdir: str = ""
) -> FrameworkJob:
    """One job running the block's command `rounds` times per side, interleaved A, B, A, B, ...

    Each run measures a single round (the framework's count set to 1); `warmup` rounds run first
    and are not recorded. `rounds` defaults to the block's count (runs for hyperfine). The command
    runs in `workdir` (relative to a side's source tree) of each side.
    """
    rounds = rounds_of(kind, attrs) if rounds is None else rounds
    if rounds < 1 or warmup < 0:
        raise FrameworkError(f"paired job: need rounds >= 1 and warmup >= 0, got {rounds} and {warmup}")
    framework = get(kind)
    inner = framework.expand(framework.single_round(attrs))
    spec = {
        "command": inner.command,
        "env": inner.env,
        "sides": [[label, f"{directory}/{workdir}" if workdir else directory] for label, directory in SIDES],
        "rounds": rounds,
        "warmup": warmup,
        "outputs": inner.outputs,
        "out": PAIR_DIR,
    }
    return FrameworkJob(
        command=["python3", "-c", RUNNER_SOURCE, json.dumps(spec)],
        display=f"paired A/B x{rounds}: {inner.display}",
        env=inner.env,
        outputs={PAIR_OUTPUT: f"{PAIR_DIR}/**/*"},
    )


def parse_paired(kind: str, attrs: Mapping[str, Any], pair_dir: Path) -> list[Sample]:
    """Samples of every recorded round under `pair_dir` (`<side>/<round>/...`), tagged with their side.

    Iterations count up per side, benchmark and metric in round order.
    """
    framework = get(kind)
    single = framework.single_round(attrs)
    samples: list[Sample] = []
    counts: Counter[tuple[str, str, str]] = Counter()
    for side, _ in SIDES:
        found_rounds = (p for p in (pair_dir / side).glob("*") if p.name.isdigit())
        rounds = sorted(found_rounds, key=lambda p: int(p.name))
        if not rounds:
            raise FrameworkError(f"paired job: no recorded round for side {side} under {pair_dir}")
        for round_dir in rounds:
            stdout = (round_dir / "stdout").read_text(encoding="utf-8", errors="replace")
            files = {p.name: p for p in round_dir.iterdir() if p.name != "stdout"}
            try:
                found = framework.parse(single, stdout, files)
            except FrameworkError as exc:
                raise FrameworkError(f"paired job, side {side} round {round_dir.name}: {exc}") from None
            for s in found:
                samples.append(replace(s, side=side, iteration=counts[side, s.benchmark, s.metric]))
                counts[side, s.benchmark, s.metric] += 1
    return samples
