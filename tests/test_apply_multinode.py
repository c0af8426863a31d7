"""Multi-node jobs (`resources { nodes = 3 }`) end to end on the FAKE cloud providers, which declare
the multi_node capability: n allocations of one offer (failing over all n together), one Run per
node with BH_NODE_INDEX / BH_NODES / BH_PEERS, all nodes must pass, n machines are billed."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from benchhub.host.state import State

sys.path.insert(0, str(Path(__file__).parent / "fakes"))
from project import Project, of_type

THREE_NODES = """
provider "fakecheap" {
  price    = 1.0
  machines = 2
}
provider "fakedear" {
  price = 2.0
}
job "mpi" {
  command = ["sh", "-c", "%(command)s"]
  expected_duration = "1m"
  placement {
    providers = ["fakecheap", "fakedear"]
  }
  resources {
    nodes = 3
  }
}
"""
REPORT = 'echo $BH_NODE_INDEX $BH_NODES $BH_PEERS | tee %(root)s/node$BH_NODE_INDEX.txt'


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def test_three_nodes_fail_over_together_run_with_their_peers_and_bill_three_machines(
    project: Project,
) -> None:
    project.write(THREE_NODES % {"command": REPORT % {"root": project.root}})
    code, events = project.apply_json()
    assert code == 0, events
    (refused,) = of_type(events, "allocation.failed")  # the third small machine of fakecheap
    assert (refused["provider"], refused["offer"], refused["reason"]) == ("fakecheap", "small-od", "capacity")
    (started,) = of_type(events, "job.started")
    assert (started["provider"], started["offer"]) == ("fakedear", "small-od")  # the runner-up, for all 3
    reports = [(project.root / f"node{i}.txt").read_text().split() for i in range(3)]
    peers = reports[0][2].split(",")
    assert [r[:2] for r in reports] == [["0", "3"], ["1", "3"], ["2", "3"]]
    assert all(r[2] == reports[0][2] for r in reports) and len(set(peers)) == 3
    assert started["allocation"] + ".fake" == peers[0]
    status = json.loads(project.bh("status", "1", "--json").stdout)
    allocations = status["allocations"]
    assert [a["state"] for a in allocations].count("failed") == 1  # the refused third node
    assert {a["state"] for a in allocations} == {"released", "failed"}  # the two made first went back
    assert len(allocations) == 2 + 1 + 3
    (finished,) = of_type(events, "job.finished")
    assert project.output("mpi", "--node", "2") == f"2 3 {reports[0][2]}\n"  # each node has its log
    assert round(finished["cost"] * 3600 / 2.0) >= 3  # three machines at 2 USD/h, each billed by the second
    with State(project.root / ".bh" / "state.db") as state:
        (job,) = state.jobs(1)
        assert sorted(s.node for s in state.resource_samples(job.id)) == [0, 1, 2]  # every node's usage


def test_one_failing_node_fails_the_job_and_stops_the_others(project: Project) -> None:
    command = 'if [ $BH_NODE_INDEX = 1 ]; then exit 3; fi; exec sleep 30'
    project.write(THREE_NODES % {"command": command})
    code, events = project.apply_json()
    assert code == 1
    (finished,) = of_type(events, "job.finished")
    assert (finished["status"], finished["exit_code"]) == ("failed", 3)
    assert finished["message"].startswith("node 1: ")
    assert finished["duration_s"] < 20  # nodes 0 and 2 did not sleep their 30 s
    status = json.loads(project.bh("status", "1", "--json").stdout)
    assert {a["state"] for a in status["allocations"]} == {"released", "failed"}
