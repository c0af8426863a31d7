"""`make_plan` (a job file -> a Plan) and `load_plan` (a saved plan, checked against the tree)."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchhub.host.config import Config, ConfigErrors, JobSpec, check_provider_config
from benchhub.host.errors import BenchHubError
from benchhub.host.planning.jobfile import load_workflow
from benchhub.host.planning.model import InputRef, Plan, PlannedJob, SpotMode
from benchhub.host.planning.offers import gather_offers
from benchhub.host.planning.placing import named_providers, place_levels
from benchhub.host.planning.planfile import check_job_file, check_sources, file_digest, read_plan
from benchhub.host.planning.providers import ProviderSession
from benchhub.host.planning.sources import Sources
from benchhub.host.state import State, default_state_path
from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb

if TYPE_CHECKING:
    from benchhub.host.snapshot import Snapshot


class OverBudgetError(BenchHubError):
    """The plan's estimated cost is above `settings { budget }`."""


def provider_configs(config: Config) -> dict[str, Mapping[str, Any]]:
    """The providers some job may use (a job without a provider constraint may use any)."""
    wanted: set[str] = set()
    for spec in config.jobs:
        wanted.update(named_providers(spec) or config.providers)
    return {name: p.config for name, p in config.providers.items() if name in wanted}


def _check_configs(config: Config, session: ProviderSession) -> None:
    """Each provider block against its provider's schema: located errors, all at once."""
    problems = [
        error
        for name, connected in session.connected.items()
        if name in config.providers
        for error in check_provider_config(config.providers[name], connected.schema)
    ]
    if problems:
        raise ConfigErrors(problems) if len(problems) > 1 else problems[0]


def make_plan(job_file: Path, session: ProviderSession, *, ref: str | None) -> Plan:
    return plan_config(load_workflow(job_file), job_file, session, ref=ref)


def plan_config(config: Config, job_file: Path, session: ProviderSession, *, ref: str | None) -> Plan:
    """Snapshot the sources, gather offers, place the jobs; refuses a plan above the budget."""
    if not config.jobs:
        return Plan(job_file=str(job_file), job_file_digest=file_digest(job_file), jobs=[], ref=ref)
    session.start(provider_configs(config))
    _check_configs(config, session)
    project = Path.cwd()
    sources = Sources(project, ref)
    digests = {spec.id: sources.snapshot_of(job_file, spec) for spec in config.jobs}
    gathered = gather_offers(session.clients(), _offer_requests(config.jobs))
    warnings = [f"provider {name} skipped: {why}" for name, why in session.failed.items()] + gathered.warnings
    if not gathered.offers:
        raise BenchHubError("no provider answered with offers: " + "; ".join(warnings))
    settings = config.settings
    billing = session.billing()
    placed = place_levels(
        _levels(config.jobs),
        gathered.offers,
        billing,
        batch=settings.parallelism,
        currency=settings.budget.currency if settings.budget else None,
        history=_history(project, config.jobs),
        multi_node=frozenset(n for n, c in session.connected.items() if c.schema.capabilities.multi_node),
    )
    jobs = [
        PlannedJob(
            job=_job_message(spec, digests[spec.id]),
            choices=placed.choices[spec.id],
            depends_on=spec.depends_on,
            when=spec.when,
            inputs=tuple(InputRef(i.job, i.output, i.path) for i in spec.inputs),
            retries=spec.retries,
            spot=_spot_mode(spec),
            group=placed.group[spec.id],
            snapshot_digest=_digest(digests[spec.id]),
            runner_up=placed.runner_up[spec.id],
            framework=spec.framework.kind if spec.framework else "",
            framework_attrs=dict(spec.framework.attributes) if spec.framework else {},
        )
        for spec in config.jobs
    ]
    plan = Plan(
        job_file=str(job_file),
        job_file_digest=file_digest(job_file),
        jobs=jobs,
        currency=placed.currency or "USD",
        budget=settings.budget.amount if settings.budget else None,
        parallelism=settings.parallelism,
        ref=ref,
        sources=sources.digests(),
        billing=billing,
        warnings=warnings,
    )
    if plan.budget is not None and plan.total_cost > plan.budget:
        raise OverBudgetError(
            f"the plan's estimated cost {plan.total_cost:.4f} {plan.currency} is above the "
            f"budget of {plan.budget:g} {plan.currency}; nothing was run"
        )
    return plan


def load_plan(path: Path, session: ProviderSession) -> Plan:
    """A saved plan, refused when its job file or a source changed; starts its providers."""
    plan = read_plan(path)
    check_job_file(plan, path)  # first: the job file says which sources there are
    config = load_workflow(Path(plan.job_file))
    sources = Sources(Path.cwd(), plan.ref)
    for spec in config.jobs:
        sources.snapshot_of(Path(plan.job_file), spec)
    check_sources(plan, path, sources.digests())
    session.start({name: cfg for name, cfg in provider_configs(config).items() if name in plan.providers})
    return plan


def _offer_requests(specs: Sequence[JobSpec]) -> list[pb.OfferRequest]:
    requests: dict[bytes, pb.OfferRequest] = {}
    for spec in specs:
        wanted = spec.placement.spot
        spot = pb.SPOT_POLICY_ALLOW
        if isinstance(wanted, bool):
            spot = pb.SPOT_POLICY_ONLY if wanted else pb.SPOT_POLICY_NEVER
        request = pb.OfferRequest(
            min_resources=spec.resources.to_proto(), regions=spec.placement.regions, spot=spot
        )
        requests.setdefault(request.SerializeToString(deterministic=True), request)
    return list(requests.values())


def _levels(specs: Sequence[JobSpec]) -> list[list[JobSpec]]:
    """Jobs grouped by depth in the DAG (config has already refused cycles)."""
    depth: dict[str, int] = {}
    by_id = {spec.id: spec for spec in specs}

    def depth_of(job_id: str) -> int:
        if job_id not in depth:
            depth[job_id] = 1 + max((depth_of(d) for d in by_id[job_id].depends_on), default=-1)
        return depth[job_id]

    levels: list[list[JobSpec]] = [[] for _ in range(1 + max((depth_of(s.id) for s in specs), default=-1))]
    for spec in specs:
        levels[depth[spec.id]].append(spec)
    return levels


def _history(project: Path, specs: Sequence[JobSpec]) -> dict[str, float]:
    path = default_state_path(project)
    if not path.exists():
        return {}
    with State(path) as state:
        medians = {spec.id: state.job_duration_history(spec.id) for spec in specs}
    return {job_id: statistics.median(runs) for job_id, runs in medians.items() if runs}


def _digest(snapshot: Snapshot | None) -> str:
    return snapshot.digest if snapshot is not None else ""


def _spot_mode(spec: JobSpec) -> SpotMode:
    spot = spec.placement.spot
    return "prefer" if spot == "prefer" else "never" if spot is False else "allow"


def _job_message(spec: JobSpec, snapshot: Snapshot | None) -> job_pb2.Job:
    job = job_pb2.Job(
        id=spec.id,
        name=spec.id,
        command=list(spec.command),
        image=spec.image or "",
        env=dict(spec.env),
        workdir=spec.workdir,
        resources=spec.resources.to_proto(),
        parameters=[p.to_proto() for p in spec.params],
        outputs=[job_pb2.Output(name=name, glob=glob) for name, glob in spec.outputs.items()],
        labels={"benchhub/job": spec.name},
        exclusive=spec.exclusive,
    )
    if spec.timeout:
        job.timeout.FromSeconds(int(spec.timeout))
    if snapshot is not None:
        job.inputs.append(Sources.artifact(snapshot))
    return job
