"""A plan as data: the fields of its JSON event (`bh plan --json`), also shown by the table."""

from __future__ import annotations

import sys
from typing import Any

from benchhub.host.executor.events import Event, JsonLinesSink
from benchhub.host.planning.model import Plan, PlannedJob


def show_plan(plan: Plan, *, as_json: bool, to_stderr: bool = False) -> None:
    """Print the plan on stdout (or stderr): one JSON event, or (rich, imported only then) a table."""
    if as_json:
        JsonLinesSink(sys.stderr if to_stderr else sys.stdout)(plan_event(plan))
        return
    from benchhub.host.cli.console import PipeConsole
    from benchhub.host.cli.render import show_plan as show_table

    show_table(plan, PipeConsole(stderr=to_stderr))


def plan_event(plan: Plan) -> Event:
    return Event(
        "plan",
        {
            "jobs": [job_fields(job, plan.currency) for job in plan.jobs],
            "total_cost": round(plan.total_cost, 6),
            "currency": plan.currency,
            "budget": plan.budget,
            "warnings": list(plan.warnings),
        },
    )


def job_fields(job: PlannedJob, currency: str) -> dict[str, Any]:
    chosen = job.chosen
    runner_up = job.runner_up
    return {
        "id": job.id,
        "name": job.job.name,
        "provider": chosen.provider if chosen else None,
        "offer": chosen.offer.id if chosen else None,
        "region": chosen.offer.region if chosen else None,
        "instance_type": chosen.offer.instance_type if chosen else None,
        "spot": chosen.offer.spot if chosen else None,
        "nodes": max(1, job.job.resources.nodes),
        "estimated_cost": round(chosen.estimated_cost, 6) if chosen else None,
        "currency": currency,
        "runner_up": {
            "provider": runner_up.provider,
            "offer": runner_up.offer.id,
            "estimated_cost": round(runner_up.estimated_cost, 6),
            "why": runner_up.why,
        }
        if runner_up
        else None,
    }
