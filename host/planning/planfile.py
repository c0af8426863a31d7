"""Saved plans (`bh plan -out p.bhplan`): JSON that `bh apply p.bhplan` runs exactly as shown.

The file records the job file's digest and every source snapshot's digest. Loading checks both
against the working tree and refuses (exit 2) when either changed since the plan was made.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from google.protobuf import json_format

from benchhub.host.errors import UsageError
from benchhub.host.planning.model import Billing, Choice, InputRef, Plan, PlannedJob
from benchhub.host.planning.plan_format import FORMAT
from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb


class StalePlanError(UsageError):
    """The job file or a source changed since the plan was saved."""


def file_digest(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def save_plan(plan: Plan, path: Path) -> None:
    document = {
        "format": FORMAT,
        "job_file": plan.job_file,
        "job_file_digest": plan.job_file_digest,
        "currency": plan.currency,
        "budget": plan.budget,
        "parallelism": plan.parallelism,
        "ref": plan.ref,
        "sources": plan.sources,
        "warnings": plan.warnings,
        "billing": {name: [b.granularity_s, b.minimum_s] for name, b in plan.billing.items()},
        "jobs": [_job_to_dict(job) for job in plan.jobs],
    }
    path.write_text(json.dumps(document, indent=1) + "\n")


def read_plan(path: Path) -> Plan:
    """The plan saved in `path`, as saved (not checked against the working tree)."""
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: not a readable plan file ({exc})") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise UsageError(f"{path}: not a plan file of this bh (expected format {FORMAT})")
    return Plan(
        job_file=document["job_file"],
        job_file_digest=document["job_file_digest"],
        jobs=[_job_from_dict(job) for job in document["jobs"]],
        currency=document["currency"],
        budget=document["budget"],
        parallelism=document["parallelism"],
        ref=document["ref"],
        sources=document["sources"],
        warnings=document["warnings"],
        billing={name: Billing(*rules) for name, rules in document["billing"].items()},
    )


def check_job_file(plan: Plan, path: Path) -> None:
    """Refuse a plan whose job file changed since it was saved."""
    job_file = Path(plan.job_file)
    if not job_file.is_file() or file_digest(job_file) != plan.job_file_digest:
        raise StalePlanError(f"{path}: {plan.job_file} changed since this plan was made; run `bh plan` again")


def check_sources(plan: Plan, path: Path, current: dict[str, str]) -> None:
    """Refuse a plan whose sources (`current`: the same keys, digests taken now) changed."""
    changed = sorted(src for src, digest in plan.sources.items() if current.get(src) != digest)
    if changed:
        raise StalePlanError(
            f"{path}: source {', '.join(changed)} changed since this plan was made; run `bh plan` again"
        )


def _job_to_dict(job: PlannedJob) -> dict[str, Any]:
    return {
        "job": json_format.MessageToDict(job.job),
        "choices": [_choice_to_dict(c) for c in job.choices],
        "depends_on": list(job.depends_on),
        "when": job.when,
        "inputs": [[i.job, i.output, i.path] for i in job.inputs],
        "retries": job.retries,
        "spot": job.spot,
        "group": job.group,
        "snapshot_digest": job.snapshot_digest,
        "runner_up": _choice_to_dict(job.runner_up) if job.runner_up else None,
        "framework": job.framework,
        "framework_attrs": dict(job.framework_attrs),
    }


def _choice_to_dict(choice: Choice) -> dict[str, Any]:
    return {
        "provider": choice.provider,
        "offer": json_format.MessageToDict(choice.offer),
        "estimated_cost": choice.estimated_cost,
        "reserve": json_format.MessageToDict(choice.reserve),
        "why": choice.why,
    }


def _choice_from_dict(data: dict[str, Any]) -> Choice:
    return Choice(
        data["provider"],
        json_format.ParseDict(data["offer"], pb.Offer()),
        data["estimated_cost"],
        json_format.ParseDict(data["reserve"], job_pb2.Resources()),
        data["why"],
    )


def _job_from_dict(data: dict[str, Any]) -> PlannedJob:
    return PlannedJob(
        job=json_format.ParseDict(data["job"], job_pb2.Job()),
        choices=tuple(_choice_from_dict(c) for c in data["choices"]),
        depends_on=tuple(data["depends_on"]),
        when=data["when"],
        inputs=tuple(InputRef(*i) for i in data["inputs"]),
        retries=data["retries"],
        spot=data["spot"],
        group=data["group"],
        snapshot_digest=data["snapshot_digest"],
        runner_up=_choice_from_dict(data["runner_up"]) if data["runner_up"] else None,
        framework=data["framework"],
        framework_attrs=data["framework_attrs"],
    )
