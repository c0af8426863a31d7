"""The DAG walk on the real local provider: order, `when`, skipped dependants, artifacts between
jobs, matrix parameters, and the exit code."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "fakes"))
from project import Project, finished, of_type

WORKFLOW = """
settings {
  parallelism = 2
}
job "build" {
  command = ["sh", "-c", "mkdir -p out && echo payload-${param.flavour} > out/tool.txt"]
  params {
    flavour = "plain"
  }
  outputs {
    tool = "out/*.txt"
  }
}
job "use" {
  command = ["sh", "-c", "cat bin/tool && test \\"$(cat bin/tool)\\" = payload-plain"]
  inputs  = { "bin/tool" = job.build.outputs.tool }
}
job "flaky" {
  command    = ["sh", "-c", "exit 4"]
  depends_on = ["build"]
}
job "after_flaky" {
  command    = ["true"]
  depends_on = ["flaky"]
}
job "cleanup" {
  command    = ["true"]
  depends_on = ["flaky"]
  when       = "always"
}
job "report_failure" {
  command    = ["true"]
  depends_on = ["flaky"]
  when       = "on_failure"
}
job "only_on_failure_of_use" {
  command    = ["true"]
  depends_on = ["use"]
  when       = "on_failure"
}
"""


def test_workflow_order_conditions_and_artifacts(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.write(WORKFLOW)
    code, events = project.apply_json()
    assert code == 1
    assert finished(events) == {
        "build": "passed",
        "use": "passed",
        "flaky": "failed",
        "after_flaky": "skipped",
        "cleanup": "passed",
        "report_failure": "passed",
        "only_on_failure_of_use": "skipped",
    }
    started = [e["job"] for e in of_type(events, "job.started")]
    assert started.index("build") < started.index("use") and started.index("flaky") < started.index("cleanup")
    skipped = {e["job"]: e["reason"] for e in of_type(events, "job.skipped")}
    assert skipped["after_flaky"] == "a dependency failed"
    assert "on_failure" in skipped["only_on_failure_of_use"]
    assert project.output("use") == "payload-plain\n"
    status = json.loads(project.bh("status", "1", "--json").stdout)
    assert status["run"]["status"] == "failed" and status["run"]["jobs_skipped"] == 2
    assert {a["state"] for a in status["allocations"]} == {"released"}


def test_matrix_jobs_run_with_their_parameters(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.write("""
job "sum" {
  params {
    n = [3, 4]
  }
  command = ["sh", "-c", "echo $((${param.n} * 2))"]
}
""")
    code, events = project.apply_json()
    assert code == 0 and finished(events) == {"sum[n=3]": "passed", "sum[n=4]": "passed"}
    assert project.output("sum[n=4]") == "8\n"
    results = json.loads(project.bh("results", "--json").stdout)
    assert [job["params"] for job in results["jobs"]] == [{"n": "3"}, {"n": "4"}]


def test_framework_results_are_stored_with_their_environment(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.write("""
job "count" {
  framework "command" {
    command = ["python3", "-c", "print('items=42')"]
    count   = 2
    regex   = { items = "items=([0-9]+)" }
  }
}
""")
    code, _ = project.apply_json()
    assert code == 0
    (job,) = json.loads(project.bh("results", "--json").stdout)["jobs"]
    assert job["environment"]["provider"] == "local" and job["environment"]["cores"]
    items = [s for s in job["samples"] if s["metric"] == "items"]
    assert [s["value"] for s in items] == [42.0, 42.0]
