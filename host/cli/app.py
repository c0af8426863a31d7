"""The click command tree. Each command parses options and calls one host module; nothing more.

Heavy modules (grpc, SQLAlchemy, rich, hcl2) are imported inside the commands so that `bh --help`
and every command start fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import click

from benchhub.host.cli.confirm import confirm_or_refuse

JOB_FILE = "job.hcl"
job_file_argument = click.argument(
    "job_file", default=JOB_FILE, type=click.Path(dir_okay=False, path_type=Path)
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="benchhub", prog_name="bh")
def cli() -> None:
    """BenchHub: run tests and benchmarks on any machine you can rent or own.

    \b
    Quick start:
      bh init        write a starter job.hcl
      bh plan        show what would run where, and what it costs
      bh apply       run it
      bh status      runs, jobs, allocations and costs
    """


@cli.command()
@click.option("--force", is_flag=True, help="Overwrite an existing job file.")
def init(force: bool) -> int:
    """Write a starter job.hcl and the .bh/ state directory here."""
    from benchhub.host.planning.starter import write_starter

    for line in write_starter(Path.cwd(), force=force):
        click.echo(line)
    return 0


@cli.command(short_help="Parse and type-check a job file.")
@job_file_argument
def validate(job_file: Path) -> int:
    """Parse and type-check JOB_FILE (default job.hcl); errors as file:line:col, exit 2."""
    from benchhub.host.planning.jobfile import load_workflow

    workflow = load_workflow(job_file)
    click.echo(f"{job_file}: valid, {len(workflow.jobs)} job(s)")
    return 0


@cli.command(short_help="Show what would run where, and what it costs.")
@job_file_argument
@click.option(
    "-out",
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Save the plan to this file; `bh apply FILE` then runs exactly this plan.",
)
@click.option("--ref", help="Plan on a snapshot of this git ref instead of the working tree.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the plan as one JSON event (see `bh apply --json`)."
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when there is nothing to run, 3 when the plan has jobs to run (1 or 2 on error).",
)
def plan(job_file: Path, out: Path | None, ref: str | None, as_json: bool, detailed_exitcode: bool) -> int:
    """Show each job of JOB_FILE with the chosen provider, offer and estimated cost."""
    from benchhub.host.planning.providers import ProviderSession, providers_named_in

    with ProviderSession(Path.cwd()) as session:
        session.prelaunch(providers_named_in(job_file))  # plugins start while the host imports and parses
        from benchhub.host.cli.plan_view import show_plan
        from benchhub.host.planning.planfile import save_plan
        from benchhub.host.planning.planner import make_plan

        the_plan = make_plan(job_file, session, ref=ref)
    show_plan(the_plan, as_json=as_json)
    if out is not None:
        save_plan(the_plan, out)
        if not as_json:
            click.echo(f"Saved the plan to {out}; run it with: bh apply {out}")
    if detailed_exitcode:
        return 3 if the_plan.jobs else 0
    return 0


@cli.command(short_help="Run a job file, or a plan saved by `bh plan -out`.")
@click.argument("file", default=JOB_FILE, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--auto-approve", is_flag=True, help="Run without asking (needed on a non-TTY, except for a saved plan).",
)
@click.option("--parallelism", type=click.IntRange(min=1), help="Jobs running at once (default: settings).")
@click.option("--ref", help="Run on a snapshot of this git ref instead of the working tree.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON object per event (stable schema, for CI) instead of progress.",
)
def apply(file: Path, auto_approve: bool, parallelism: int | None, ref: str | None, as_json: bool) -> int:
    """Run FILE: a job file (planned now) or a plan saved by `bh plan -out`.

    A job file's plan is shown and needs approval (asked on a terminal, `--auto-approve`
    elsewhere); a saved plan runs without asking, as it was shown when it was saved.

    Exit 0 when every job passed, 1 when one failed, 2 on a usage or config error, 130 when
    interrupted (Ctrl-C cancels running jobs and releases every allocation), 141 when the reader
    of the output went away (`bh apply --json | head`: the run stops the same way).
    """
    from benchhub.host.planning.plan_format import is_plan_file
    from benchhub.host.planning.providers import ProviderSession, providers_named_in

    saved = is_plan_file(file)
    with ProviderSession(Path.cwd()) as session:
        if not saved:
            session.prelaunch(providers_named_in(file))  # plugins start while the host imports and parses
        from benchhub.host.cli.plan_view import show_plan
        from benchhub.host.cli.run import run_plan
        from benchhub.host.planning.planner import load_plan, make_plan

        if saved:
            if ref is not None:
                raise click.UsageError("--ref cannot be used with a saved plan (the plan fixed its sources)")
            the_plan = load_plan(file, session)
        else:
            the_plan = make_plan(file, session, ref=ref)
        show_plan(the_plan, as_json=as_json)
        if not the_plan.jobs:
            return 0
        if not (auto_approve or saved):  # a saved plan was approved when it was written and read
            confirm_or_refuse("Run this plan?")
        return run_plan(the_plan, session, parallelism=parallelism, as_json=as_json).exit_code


@cli.command()
@click.argument("run", required=False, type=int)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def status(run: int | None, as_json: bool) -> int:
    """Show recent runs, or RUN's jobs, allocations and costs."""
    from benchhub.host.cli.inspect import show_status

    show_status(run, as_json=as_json)
    return 0


@cli.command()
@click.argument("job")
@click.option("--run", "run", type=int, help="Run id (default: the latest run with JOB).")
@click.option("-f", "--follow", is_flag=True, help="Keep printing while the job runs.")
@click.option(
    "--node", type=click.IntRange(min=0), default=0, show_default=True, help="Node of a multi-node job."
)
def logs(job: str, run: int | None, follow: bool, node: int) -> int:
    """Print JOB's log (live with -f while it runs)."""
    from benchhub.host.cli.inspect import show_logs

    show_logs(job, run=run, follow=follow, node=node)
    return 0


@cli.group(invoke_without_command=True, short_help="Discovered providers, their schema, the lock file.")
@click.pass_context
def providers(ctx: click.Context) -> None:
    """Discovered providers (`list`, the default), their `schema`, and the checksum `lock` file."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(providers_list)


@providers.command("list")
def providers_list() -> int:
    """List the bh-provider-* executables found, with versions."""
    from benchhub.host.cli.providers import show_providers

    show_providers()
    return 0


@providers.command("schema")
@click.argument("name")
def providers_schema(name: str) -> int:
    """Show provider NAME's configuration schema and capabilities."""
    from benchhub.host.cli.providers import show_schema

    show_schema(name)
    return 0


@providers.command("lock")
@job_file_argument
def providers_lock(job_file: Path) -> int:
    """Write .bh.lock.hcl: the version and sha256 of each provider JOB_FILE uses.

    `bh plan` and `bh apply` then refuse a provider whose executable changed since.
    """
    from benchhub.host.cli.providers import write_lock

    for line in write_lock(job_file):
        click.echo(line)
    return 0


@cli.command(short_help="Release orphaned allocations, reconcile the state.")
@job_file_argument
@click.option("--auto-approve", is_flag=True, help="Release orphans without asking.")
def gc(job_file: Path, auto_approve: bool) -> int:
    """Find allocations no run owns any more (by tag), release them, reconcile state."""
    from benchhub.host.cli.gc import collect_garbage

    return collect_garbage(job_file, auto_approve=auto_approve)


@cli.command(short_help="Parsed results and resource usage of a run.")
@click.argument("run", required=False)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True
)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--csv", "as_csv", is_flag=True, help="Same as --format csv: one row per sample.")
def results(run: str | None, fmt: str, as_json: bool, as_csv: bool) -> int:
    """Parsed benchmark/test results and resource usage of RUN (default: the newest run).

    RUN is a run id, `latest`, `latest~1` or `ref:BRANCH`.
    """
    from benchhub.host.cli.inspect import open_state, print_results
    from benchhub.host.results.listing import ResultsFormat, load_results

    if as_json and as_csv:
        raise click.UsageError("--json and --csv exclude each other")
    chosen = "json" if as_json else "csv" if as_csv else fmt
    with open_state() as state:
        print_results(load_results(state, run), cast(ResultsFormat, chosen))
    return 0


class _CompareCommand(click.Command):
    """Its help is the results module's (loaded only when asked for)."""

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from benchhub.host.results.commands import COMPARE_HELP

        self.help = COMPARE_HELP
        super().format_help_text(ctx, formatter)


@cli.command(cls=_CompareCommand, short_help="Compare two runs, refs or parameter sets.")
@click.argument("a", required=False)
@click.argument("b", required=False)
@click.option(
    "--ref",
    "refs",
    multiple=True,
    metavar="REF",
    help="Run a paired A/B comparison of two refs now (give --ref twice; once = REF against the "
    "working tree); A is then the job file (default job.hcl).",
)
@click.option(
    "--alpha",
    type=click.FloatRange(0, 1, min_open=True),
    default=0.05,
    show_default=True,
    help="Significance level of the Mann-Whitney U test.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "markdown", "json", "csv"]),
    default="table",
    show_default=True,
)
@click.option(
    "--fail-on-regression",
    type=float,
    metavar="PCT",
    help="Exit 1 when a significant regression is worse than PCT percent.",
)
@click.option("--auto-approve", is_flag=True, help="With --ref: run without asking (required on a non-TTY).")
@click.option("--parallelism", type=click.IntRange(min=1), help="With --ref: paired jobs running at once.")
def compare(
    a: str | None,
    b: str | None,
    refs: tuple[str, ...],
    alpha: float,
    fmt: str,
    fail_on_regression: float | None,
    auto_approve: bool,
    parallelism: int | None,
) -> int:
    """Compare two runs, refs or parameter sets, benchmark by benchmark (see `bh compare --help`)."""
    from benchhub.host.cli.compare import compare_refs, compare_stored, paired_refs
    from benchhub.host.results.render import Format

    if not refs:
        if a is None:
            raise click.UsageError("give a side to compare (bh compare A [B]) or --ref twice and a job file")
        return compare_stored(a, b, alpha=alpha, fmt=cast(Format, fmt), fail_on_regression=fail_on_regression)
    if b is not None:
        raise click.UsageError("with --ref, give only the job file (bh compare --ref A --ref B job.hcl)")
    return compare_refs(
        Path(a or JOB_FILE),
        paired_refs(refs),
        alpha=alpha,
        fmt=cast(Format, fmt),
        fail_on_regression=fail_on_regression,
        auto_approve=auto_approve,
        parallelism=parallelism,
    )


@cli.command(short_help="Write an HTML report of a run or a comparison.")
@click.argument("a")
@click.argument("b", required=False)
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("report.html"),
    show_default=True,
    help="The HTML file to write.",
)
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True), default=0.05, show_default=True)
def report(a: str, b: str | None, out: Path, alpha: float) -> int:
    """Write one self-contained HTML report: a run's results, or A compared with B, with history."""
    from benchhub.host.cli.inspect import open_state
    from benchhub.host.results.commands import write_report

    with open_state() as state:
        click.echo(f"Wrote {write_report(state, a, b, out, alpha=alpha)}")
    return 0
