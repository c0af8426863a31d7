"""`bh gc`: release allocations no run owns any more, and reconcile the state with the providers.

It holds the project lock, so no `bh apply` of this project is running: every allocation a provider
lists with this project's tags is an orphan (a crashed or killed `bh`), and every allocation the
state thinks is held but no provider lists is gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from benchhub.host.cli.confirm import confirm_or_refuse
from benchhub.host.cli.run import project_tag
from benchhub.host.errors import BenchHubError
from benchhub.host.executor.allocator import TAG_JOB, TAG_MANAGED, TAG_PROJECT, TAG_RUN, TAG_TOKEN
from benchhub.host.planning.providers import ProviderSession
from benchhub.host.state import ProjectLock, State, default_state_path
from benchhub.proto.provider.v1 import provider_pb2 as pb


@dataclass(frozen=True)
class Orphan:
    provider: str
    allocation: pb.Allocation
    row: int | None  # its state row, when the state knows it


def collect_garbage(job_file: Path, *, auto_approve: bool) -> int:
    project = Path.cwd()
    state_path = default_state_path(project)
    with ProjectLock(state_path.parent), State(state_path) as state, ProviderSession(project) as session:
        unreleased = state.unreleased_allocations()
        configs = _provider_configs(job_file)
        for row in unreleased:
            configs.setdefault(row.provider, {})
        session.start(configs)
        for name, problem in session.failed.items():
            click.echo(f"Warning: provider {name} skipped: {problem}", err=True)
        rows = {row.token: row.id for row in unreleased}
        tags = {TAG_MANAGED: "true", TAG_PROJECT: project_tag(project)}
        clients = session.clients()
        orphans = [
            Orphan(name, a, rows.get(a.tags.get(TAG_TOKEN, "")))
            for name, client in clients.items()
            for a in client.list_allocations(tags)
        ]
        listed = {o.row for o in orphans}
        reconciled = 0
        for row in unreleased:
            if row.provider in session.connected and row.id not in listed:
                state.record_released(row.id)  # the provider holds nothing for it
                reconciled += 1
        if reconciled:
            click.echo(f"Marked {reconciled} allocation(s) released in state: no provider holds them.")
        if not orphans:
            click.echo("No orphaned allocations.")
            return 0
        for orphan in orphans:
            a = orphan.allocation
            click.echo(
                f"  {orphan.provider}: {a.id} ({a.instance_type or a.offer_id}, run "
                f"{a.tags.get(TAG_RUN, '?')}, job {a.tags.get(TAG_JOB, '?')})"
            )
        if not auto_approve:
            confirm_or_refuse(f"Release these {len(orphans)} orphaned allocation(s)?")
        for orphan in orphans:
            clients[orphan.provider].release(orphan.allocation.id)
            if orphan.row is not None:
                state.record_released(orphan.row)
        click.echo(f"Released {len(orphans)} orphaned allocation(s).")
    return 0


def _provider_configs(job_file: Path) -> dict[str, Any]:
    """The job file's providers (their configs hold regions, endpoints ...), if the file is there."""
    if not job_file.is_file():
        return {}
    from benchhub.host.planning.jobfile import load_workflow
    from benchhub.host.planning.planner import provider_configs

    try:
        return dict(provider_configs(load_workflow(job_file)))
    except BenchHubError as exc:
        raise BenchHubError(f"bh gc needs the providers' configuration from {job_file}: {exc}") from exc
