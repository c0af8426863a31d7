"""The labels BenchHub puts on its containers and images, so they can be found after a crash."""

from __future__ import annotations

from collections.abc import Mapping

MANAGED = "benchhub.managed"
ALLOCATION = "benchhub.allocation"
JOB = "benchhub.job"
CREATED = "benchhub.created"
TAG_PREFIX = "benchhub.tag."
SNAPSHOT = "benchhub.snapshot"
BASE = "benchhub.base"
BUILT = "benchhub.built"  # a job image's build time, ns since the epoch (docker's own is in seconds)


def container_labels(
    allocation_id: str, job_id: str, created: str, tags: Mapping[str, str]
) -> dict[str, str]:
    labels = {MANAGED: "true", ALLOCATION: allocation_id, JOB: job_id, CREATED: created}
    labels.update({TAG_PREFIX + key: value for key, value in tags.items()})
    return labels


def tags_of(labels: Mapping[str, str]) -> dict[str, str]:
    return {k.removeprefix(TAG_PREFIX): v for k, v in labels.items() if k.startswith(TAG_PREFIX)}


def filters(allocation_id: str | None = None, job_id: str | None = None) -> dict[str, list[str]]:
    """A docker `filters` argument matching BenchHub's containers (of one allocation / job)."""
    wanted = [f"{MANAGED}=true"]
    if allocation_id is not None:
        wanted.append(f"{ALLOCATION}={allocation_id}")
    if job_id is not None:
        wanted.append(f"{JOB}={job_id}")
    return {"label": wanted}
