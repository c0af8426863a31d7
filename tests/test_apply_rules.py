"""The executor's pure rules: readiness and `when`, billing, the budget gate, pooled shares, and
a saved plan's round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchhub.host.executor.billing import Budget, billed_cost
from benchhub.host.executor.pools import OwnShares
from benchhub.host.executor.workflow import Workflow
from benchhub.host.planning.model import Billing, Choice, InputRef, Plan, PlannedJob, When
from benchhub.host.planning.planfile import read_plan, save_plan
from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb


def planned(job_id: str, *deps: str, when: When = "on_success") -> PlannedJob:
    offer = pb.Offer(id="o1", price_per_hour=pb.Money(amount=1.0, currency="USD"))
    return PlannedJob(job_pb2.Job(id=job_id, name=job_id), (Choice("p", offer, 0.5),), deps, when)


def test_when_conditions_and_skips_cascade() -> None:
    flow = Workflow([planned("a"), planned("b", "a"), planned("c", "b"), planned("d", "a", when="on_failure"),
                     planned("e", "b", when="always")])
    ready, skipped = flow.ready()
    assert [j.id for j in ready] == ["a"] and not skipped
    flow.start("a")
    flow.finish("a", "failed")
    ready, skipped = flow.ready()
    assert [j.id for j in ready] == ["d", "e"]  # "e" runs `always`, even after a skipped dependency
    assert {s.job: s.reason for s in skipped} == {"b": "a dependency failed", "c": "a dependency was skipped"}
    flow.finish("d", "passed")
    flow.finish("e", "passed")
    assert flow.ready() == ([], []) and not flow.unfinished()


def test_on_failure_is_skipped_when_everything_passed() -> None:
    flow = Workflow([planned("a"), planned("d", "a", when="on_failure")])
    flow.ready()
    flow.finish("a", "passed")
    ready, skipped = flow.ready()
    assert not ready and [s.reason for s in skipped] == ["when = on_failure, and no dependency failed"]


@pytest.mark.parametrize(
    ("seconds", "granularity", "minimum", "billed"),
    [(0.2, 1, 0, 1), (61, 1, 60, 61), (10, 1, 60, 60), (61, 60, 60, 120), (0, 1, 0, 0)],
)
def test_billing_rounds_up_and_applies_the_minimum(seconds: float, granularity: float, minimum: float,
                                                   billed: float) -> None:
    assert billed_cost(seconds, 3600.0, Billing(granularity, minimum)) == pytest.approx(billed)


def test_budget_refuses_what_would_exceed_it() -> None:
    budget = Budget(2.0)
    assert budget.try_commit("a", 1.5) is None
    refused = budget.try_commit("b", 1.0)
    assert refused is not None and (refused.spent, refused.committed) == (0.0, 1.5)
    budget.settle("a", 0.5)
    assert budget.try_commit("b", 1.0) is None
    assert Budget(None).try_commit("x", 1e9) is None


def test_own_shares_of_a_pool() -> None:
    shares = OwnShares()
    pool = job_pb2.Resources(cpu=2, memory_bytes=4)
    one = job_pb2.Resources(cpu=1, memory_bytes=1)
    first, second = shares.take(("p", "o"), pool, one), shares.take(("p", "o"), pool, one)
    assert first is not None and second is not None
    assert shares.take(("p", "o"), pool, one) is None
    assert shares.give_back(first) and not shares.give_back(first)  # twice gives back only once
    assert shares.take(("p", "o"), pool, one) is not None
    assert shares.take(("p", "o"), pool, one) is None  # `second` is still held
    # nothing held: the provider decides
    assert shares.take(("p", "other"), pool, job_pb2.Resources(cpu=64)) is not None


def test_saved_plan_round_trips(tmp_path: Path) -> None:
    job = planned("b", "a", when="always")
    job = PlannedJob(job.job, job.choices, job.depends_on, job.when, (InputRef("a", "bin", "tools/"),), 2,
                     "prefer", "g1", "sha256:00", job.choices[0], "command", {"count": 3})
    plan = Plan("job.hcl", "sha256:ff", [planned("a"), job], budget=5.0, sources={".": "sha256:00"},
                billing={"p": Billing(60, 60)}, warnings=["w"])
    save_plan(plan, tmp_path / "p.bhplan")
    assert read_plan(tmp_path / "p.bhplan") == plan
