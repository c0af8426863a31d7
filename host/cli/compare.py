"""`bh compare`: two stored sides, or a paired A/B run of two refs (`--ref A --ref B job.hcl`) made now.

Output goes to stdout; a paired run's plan and progress go to stderr so that stdout holds only the
comparison (a table, markdown, JSON or CSV).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from benchhub.host.cli import EXIT_INTERRUPTED
from benchhub.host.cli.confirm import confirm_or_refuse
from benchhub.host.cli.inspect import open_state
from benchhub.host.errors import UsageError
from benchhub.host.results.commands import compare_exit_code, compare_sides
from benchhub.host.results.compare import Comparison
from benchhub.host.results.render import Format, comparison_table, format_comparison


def print_comparison(comparison: Comparison, fmt: Format) -> None:
    """On a terminal a table keeps its colours; anything else is plain text."""
    if fmt == "table" and sys.stdout.isatty():
        from benchhub.host.cli.console import PipeConsole

        PipeConsole().print(comparison_table(comparison))
    else:
        click.echo(format_comparison(comparison, fmt), nl=False)


def compare_stored(
    a: str, b: str | None, *, alpha: float, fmt: Format, fail_on_regression: float | None
) -> int:
    """`bh compare A [B]`: compare what the state already holds."""
    with open_state() as state:
        comparison = compare_sides(state, a, b, alpha=alpha)
    print_comparison(comparison, fmt)
    return compare_exit_code(comparison, fail_on_regression)


def paired_refs(refs: tuple[str, ...]) -> tuple[str | None, str | None]:
    """Sides A and B of `--ref` given once (that ref against the working tree) or twice."""
    if len(refs) == 1:
        return refs[0], None
    if len(refs) == 2:
        return refs[0], refs[1]
    raise UsageError(f"give --ref once (REF against the working tree) or twice (A, B), not {len(refs)} times")


def compare_refs(
    job_file: Path,
    refs: tuple[str | None, str | None],
    *,
    alpha: float,
    fmt: Format,
    fail_on_regression: float | None,
    auto_approve: bool,
    parallelism: int | None,
) -> int:
    """Snapshot both refs, run the job file's benchmarks on both interleaved (A, B, A, B, ... on one
    allocation per job), then compare the two halves of that paired run."""
    from benchhub.host.cli.plan_view import show_plan
    from benchhub.host.cli.run import run_plan
    from benchhub.host.planning.paired import make_paired_plan
    from benchhub.host.planning.providers import ProviderSession, providers_named_in

    with ProviderSession(Path.cwd()) as session:
        session.prelaunch(providers_named_in(job_file))
        plan = make_paired_plan(job_file, session, refs)
        show_plan(plan, as_json=False, to_stderr=True)
        if not auto_approve:
            confirm_or_refuse(f"Run this paired comparison ({plan.ref})?")
        applied = run_plan(plan, session, parallelism=parallelism, as_json=False, to_stderr=True)
    if applied.exit_code == EXIT_INTERRUPTED:
        return applied.exit_code
    if applied.exit_code:
        click.echo(f"Run {applied.run_id} failed; comparing the jobs that finished (see `bh status "
                   f"{applied.run_id}`)", err=True)
    with open_state() as state:
        comparison = compare_sides(state, str(applied.run_id), alpha=alpha)
    print_comparison(comparison, fmt)
    return max(applied.exit_code, compare_exit_code(comparison, fail_on_regression))
