"""The job graph: run order and cycles, over expanded `JobSpec`s (or any id -> dependencies map)."""

from __future__ import annotations

import graphlib
from collections.abc import Iterable, Mapping, Sequence

from benchhub.host.config.model import JobSpec


def find_cycle(graph: Mapping[str, Sequence[str]]) -> list[str] | None:
    """A dependency cycle as a path that starts and ends at the same node (``[a, b, a]``), or None.

    `graph` maps a node to the nodes it depends on; dependencies missing from it are ignored.
    """
    sorter = graphlib.TopologicalSorter({n: [d for d in deps if d in graph] for n, deps in graph.items()})
    try:
        sorter.prepare()
    except graphlib.CycleError as e:
        cycle: list[str] = list(e.args[1])
        # graphlib lists the cycle against the edges (a node, then what depends on it): reverse it
        # so each node is followed by one it depends on, and start at the first node in graph order.
        cycle.reverse()
        ring = cycle[:-1]
        order = {n: i for i, n in enumerate(graph)}
        start = min(range(len(ring)), key=lambda i: order[ring[i]])
        ring = ring[start:] + ring[:start]
        return [*ring, ring[0]]
    return None


def topological_order(jobs: Iterable[JobSpec]) -> list[JobSpec]:
    """Jobs so that each comes after everything it depends on; ties keep the given order."""
    listed = list(jobs)
    position = {j.id: i for i, j in enumerate(listed)}
    sorter = graphlib.TopologicalSorter({j.id: [d for d in j.depends_on if d in position] for j in listed})
    sorter.prepare()  # the loader has rejected cycles already
    order: list[JobSpec] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=position.__getitem__)
        order.extend(listed[position[i]] for i in ready)
        sorter.done(*ready)
    return order


def dependants(jobs: Iterable[JobSpec]) -> dict[str, tuple[str, ...]]:
    """Job id -> ids of the jobs that depend on it directly (for skipping after a failure)."""
    listed = list(jobs)
    out: dict[str, list[str]] = {j.id: [] for j in listed}
    for job in listed:
        for dependency in job.depends_on:
            out.setdefault(dependency, []).append(job.id)
    return {k: tuple(v) for k, v in out.items()}
