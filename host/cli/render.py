"""What `bh` prints on a terminal (rich): the plan table and the live progress of an apply."""

from __future__ import annotations

import contextlib
import time
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.text import Text

from benchhub.host.cli.console import PipeConsole, table
from benchhub.host.cli.plan_view import job_fields
from benchhub.host.executor.events import Event
from benchhub.host.planning.model import Plan


def show_plan(plan: Plan, console: Console | None = None) -> None:
    console = console or PipeConsole()
    if not plan.jobs:
        console.print("No jobs to run.")
        return
    title = f"Plan: {len(plan.jobs)} job(s) from {plan.job_file}"
    columns = ("job", "provider", "offer", "est. cost", "runner-up and why")
    shown = table(title, columns, one_line=columns[:-1], right=("est. cost",))  # the "why" wraps
    for job in plan.jobs:
        fields = job_fields(job, plan.currency)
        offer = " ".join(str(fields[k]) for k in ("instance_type", "region") if fields[k]) or str(
            fields["offer"]
        )
        if fields["spot"]:
            offer += " (spot)"
        if fields["nodes"] > 1:
            offer += f" x {fields['nodes']} nodes"
        runner_up = fields["runner_up"]
        shown.add_row(
            escape(job.id),
            str(fields["provider"]),
            offer,
            _money(fields["estimated_cost"], plan.currency),
            escape(f"{runner_up['provider']}/{runner_up['offer']}: {runner_up['why']}") if runner_up else "-",
        )
    console.print(shown)
    budget = f" (budget {_money(plan.budget, plan.currency)})" if plan.budget is not None else ""
    console.print(f"Estimated total: [bold]{_money(plan.total_cost, plan.currency)}[/]{budget}")
    for warning in plan.warnings:
        console.print(f"[yellow]Warning:[/] {escape(warning)}")


def _money(amount: float | None, currency: str) -> str:
    if amount is None:
        return "-"
    return f"{amount:.4f} {currency}" if amount < 1 else f"{amount:.2f} {currency}"


class ProgressDisplay:
    """A live line of counts and elapsed time, with one printed line per finished or skipped job."""

    def __init__(self, total: int, console: Console | None = None) -> None:
        self.console = console or PipeConsole()
        self.counts = {"pending": total, "running": 0, "passed": 0, "failed": 0, "skipped": 0}
        self.started = time.monotonic()
        self._live = Live(self, console=self.console, refresh_per_second=4, transient=True)

    def __rich__(self) -> Text:
        parts = [f"{name} {n}" for name, n in self.counts.items()]
        return Text(" · ".join(parts) + f" · {time.monotonic() - self.started:.1f}s", style="dim")

    def __enter__(self) -> ProgressDisplay:
        self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(BrokenPipeError):  # the reader of our output went away; the run ended
            self._live.__exit__(None, None, None)

    def __call__(self, event: Event) -> None:
        handler = getattr(self, "_on_" + event.type.replace(".", "_"), None)
        if handler is not None:  # job ids hold brackets (matrix values): never rich markup
            handler({k: escape(v) if isinstance(v, str) else v for k, v in event.fields.items()})

    def _move(self, source: str, target: str) -> None:
        self.counts[source] = max(0, self.counts[source] - 1)
        self.counts[target] += 1

    def _on_job_started(self, f: dict[str, Any]) -> None:
        self._move("pending", "running")

    def _on_job_status(self, f: dict[str, Any]) -> None:
        """What the provider says about a job (e.g. how it measures resources), as a dim line."""
        message = f" — {f['message']}" if f.get("message") else ""
        self.console.print(f"[dim]· {f['job']}: {f['status']}{message}[/]")

    def _on_job_retrying(self, f: dict[str, Any]) -> None:
        self.console.print(f"[yellow]↻[/] {f['job']}: {f['reason']}, attempt {f['attempt']}")
        self._move("running", "pending")

    def _on_job_skipped(self, f: dict[str, Any]) -> None:
        self._move("pending", "skipped")
        self.console.print(f"[dim]- {f['job']}: skipped ({f['reason']})[/]")

    def _on_job_finished(self, f: dict[str, Any]) -> None:
        status = f["status"]
        source = "running" if self.counts["running"] else "pending"
        self._move(source, {"passed": "passed", "cancelled": "skipped"}.get(status, "failed"))
        mark = {"passed": "[green]✓[/]", "failed": "[red]✗[/]"}.get(status, "[yellow]■[/]")
        detail = f" exit {f['exit_code']}" if f.get("exit_code") not in (None, 0) else ""
        note = f" — {f['message']}" if f.get("message") and status != "passed" else ""
        self.console.print(f"{mark} {f['job']} {status}{detail} in {f['duration_s']:.1f}s{note}")

    def _on_allocation_failed(self, f: dict[str, Any]) -> None:
        self.console.print(
            f"[yellow]![/] {f['job']}: {f['provider']}/{f['offer']} refused "
            f"({f['reason']}); trying the next offer"
        )

    def _on_budget_exhausted(self, f: dict[str, Any]) -> None:
        self.console.print(
            f"[yellow]Budget:[/] spent {f['spent']:.4f} + committed {f['committed']:.4f} "
            f"{f['currency']} of {f['budget']}; starting no more jobs"
        )

    def _on_error(self, f: dict[str, Any]) -> None:
        self.console.print(f"[red]Error:[/] {f['message']}")

    def _on_run_finished(self, f: dict[str, Any]) -> None:
        style = {"passed": "green", "failed": "red"}.get(f["status"], "yellow")
        self.console.print(
            f"[{style}]Run {f['run']} {f['status']}[/]: {f['passed']} passed, {f['failed']} failed, "
            f"{f['skipped']} skipped, {f['cancelled']} cancelled in {f['duration_s']:.1f}s, "
            f"cost {_money(f['cost'], f['currency'])}"
        )
