"""What `bh results`, `bh compare` and `bh report` call; the click layer only parses options and prints."""

from __future__ import annotations

from pathlib import Path

from benchhub.host.results.compare import Comparison, compare
from benchhub.host.results.report import build_report
from benchhub.host.results.sides import load_sides
from benchhub.host.state import State

COMPARE_HELP = """Compare two sides, benchmark by benchmark: median with 95% confidence interval, delta,
Mann-Whitney U p-value (`~` when p >= --alpha), a geomean row, and warnings (fewer than 5 samples,
outliers, different environments).

\b
A side is [SOURCE][:k=v[,k=v...]]:
  12, latest, latest~1   a run
  ref:main, main         the newest run of a branch, commit or --ref
  k=v filters            only jobs with these parameters; the rest of the
                         parameters must match between the sides
\b
Examples:
  bh compare 3 4                      two runs
  bh compare main feature             the newest runs of two branches
  bh compare size=1000 size=2000      two parameter sets of the newest run
  bh compare 7:algo=merge 7:algo=quick
  bh compare 9                        a paired run: its A half against its B half
\b
Paired A/B, run now: snapshot two refs, run each benchmark job of the job file
on both, interleaved (A, B, A, B, ...) on one allocation, then compare:
  bh compare --ref main --ref HEAD job.hcl
  bh compare --ref main job.hcl       main against the working tree
"""


def compare_sides(state: State, a: str, b: str | None = None, *, alpha: float = 0.05) -> Comparison:
    """`bh compare A [B]`: load both sides (see COMPARE_HELP) and compare them."""
    side_a, side_b, paired = load_sides(state, a, b)
    return compare(side_a, side_b, alpha=alpha, paired=paired)


def compare_exit_code(comparison: Comparison, fail_on_regression: float | None) -> int:
    """1 when `--fail-on-regression PCT` is given and a significant regression is worse than PCT, else 0."""
    if fail_on_regression is None:
        return 0
    return 1 if comparison.regressions(fail_on_regression) else 0


def write_report(state: State, a: str, b: str | None, out: Path, *, alpha: float = 0.05) -> Path:
    """`bh report RUN_OR_SIDE [B] -o out.html`: one self-contained HTML file; returns its path."""
    out.write_text(build_report(state, a, b, alpha=alpha), encoding="utf-8")
    return out
