"""Scheduling end to end with two real provider subprocesses (the FAKE cloud providers of
tests/fakes) that price differently: cheapest choice, failover, preemption retries, budget, crashes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fakes"))
from project import Project, finished, of_type

PROVIDERS = """
provider "fakecheap" {
  price = 1.0
  %s
}
provider "fakedear" {
  price = 2.0
}
"""


def job(
    name: str, command: str, extra: str = "", providers: str = '"fakecheap", "fakedear"', spot: str = "",
    duration: str = "1m",
) -> str:
    return f"""
job "{name}" {{
  command = ["sh", "-c", "{command}"]
  expected_duration = "{duration}"
  placement {{
    providers = [{providers}]
    {f"spot = {spot}" if spot else ""}
  }}
  {extra}
}}
"""


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def test_plan_picks_the_cheapest_provider_and_explains_the_runner_up(project: Project) -> None:
    project.write(PROVIDERS % "" + job("a", "true"))
    (plan,) = [json.loads(line) for line in project.bh("plan", "--json").stdout.splitlines()]
    (chosen,) = plan["jobs"]
    assert (chosen["provider"], chosen["instance_type"]) == ("fakecheap", "small")
    assert chosen["estimated_cost"] == pytest.approx(1.0 / 60, rel=0.05)
    assert chosen["runner_up"]["why"]
    code, events = project.apply_json()
    assert code == 0 and of_type(events, "job.started")[0]["provider"] == "fakecheap"


def test_failover_to_the_next_offer_when_the_cheapest_refuses(project: Project) -> None:
    project.write(PROVIDERS % 'refuse = ["small", "large"]' + job("a", "echo ran") + job("b", "true"))
    code, events = project.apply_json()
    assert code == 0 and finished(events) == {"a": "passed", "b": "passed"}
    failures = of_type(events, "allocation.failed")
    assert {(f["provider"], f["reason"]) for f in failures} == {("fakecheap", "capacity")}
    assert {e["provider"] for e in of_type(events, "job.started")} == {"fakedear"}
    # an offer that failed is remembered: the second job never asks it again
    assert len({(f["offer"]) for f in failures}) == len(failures)
    allocations = json.loads(project.bh("status", "1", "--json").stdout)["allocations"]
    assert {a["state"] for a in allocations} == {"failed", "released"}


def test_preempted_spot_work_is_retried_on_demand(project: Project) -> None:
    spot = "spot = true\n  preempt = 1"
    project.write(PROVIDERS % spot + job("a", "echo done", "retries = 1", '"fakecheap"', '"prefer"'))
    code, events = project.apply_json()
    assert code == 0, events
    (retry,) = of_type(events, "job.retrying")
    assert retry["reason"] == "preempted"
    offers = [e["offer"] for e in of_type(events, "job.started")]
    assert offers[0].endswith("-spot") and offers[1].endswith("-od")
    jobs = json.loads(project.bh("status", "1", "--json").stdout)["jobs"]
    assert [j["status"] for j in jobs] == ["preempted", "passed"]


def test_preemption_without_retries_fails_the_job(project: Project) -> None:
    project.write(PROVIDERS % "spot = true\n  preempt = 1" + job("a", "true", "", '"fakecheap"', "true"))
    code, events = project.apply_json()
    assert code == 1 and finished(events) == {"a": "failed"}


def test_plan_refuses_an_estimate_above_the_budget(project: Project) -> None:
    project.write('settings {\n  budget = "0.001 USD"\n}\n' + PROVIDERS % "" + job("a", "true"))
    done = project.bh("plan")
    assert done.returncode == 1 and "above the budget" in done.stderr and "Traceback" not in done.stderr


def test_apply_stops_starting_jobs_when_the_budget_is_spent(project: Project) -> None:
    # 3600 USD/h = 1 USD/s; each job is estimated at 1 s, the first really takes 2 s
    config = """
settings {
  budget = "2.5 USD"
  parallelism = 1
}
provider "fakecheap" {
  price = 3600
}
"""
    first = job("first", "sleep 2", providers='"fakecheap"', duration="1s")
    second = job("second", "true", 'depends_on = ["first"]', providers='"fakecheap"', duration="1s")
    project.write(config + first + second)
    _, events = project.apply_json()
    assert finished(events) == {"first": "passed", "second": "skipped"}
    (stop,) = of_type(events, "budget.exhausted")
    assert stop["spent"] >= 2.0 and stop["budget"] == 2.5
    assert of_type(events, "run.finished")[0]["cost"] == pytest.approx(stop["spent"])
    jobs = json.loads(project.bh("status", "1", "--json").stdout)["jobs"]
    assert jobs[0]["actual_cost"] == pytest.approx(stop["spent"])


def test_a_provider_crash_fails_its_jobs_and_the_run_goes_on(project: Project) -> None:
    crash = job("crash", "sleep 0.2; kill -9 $PPID; sleep 5", providers='"fakedear"')
    fine = job("fine", "sleep 1; echo fine", providers='"fakecheap"')
    project.write(PROVIDERS % "" + crash + fine)
    code, events = project.apply_json("--parallelism", "2")
    assert code == 1 and finished(events) == {"crash": "failed", "fine": "passed"}
    (crashed,) = [e for e in of_type(events, "job.finished") if e["job"] == "crash"]
    assert "bh-provider-fakedear" in crashed["message"]


def test_packed_jobs_share_one_allocation(project: Project) -> None:
    # two 2-cpu jobs: one `large` (8 cpu) at 1.5x the price of a `small` beats two smalls
    packed = 'resources {\n    cpu = 2\n  }'
    project.write(PROVIDERS % "large_factor = 1.5" + job("a", "sleep 0.5", packed, '"fakecheap"')
                  + job("b", "sleep 0.5", packed, '"fakecheap"'))
    (plan,) = [json.loads(line) for line in project.bh("plan", "--json").stdout.splitlines()]
    assert {j["instance_type"] for j in plan["jobs"]} == {"large"}
    assert plan["total_cost"] == pytest.approx(1.5 / 60, rel=0.05)
    code, events = project.apply_json()
    assert code == 0 and finished(events) == {"a": "passed", "b": "passed"}
    assert len({e["allocation"] for e in of_type(events, "job.started")}) == 1
    allocations = json.loads(project.bh("status", "1", "--json").stdout)["allocations"]
    assert [a["state"] for a in allocations] == ["released"]
