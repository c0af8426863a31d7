"""`bh` as a real subprocess: help, init, validate, approval rules, JSON events, saved plans, status, logs."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fakes"))
from project import BH, Project, finished, of_type

HELLO = """
job "hello" {
  command = ["python3", "-c", "print('hello from a job')"]
}
"""


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def test_help_lists_every_command(project: Project) -> None:
    done = project.bh("--help")
    assert done.returncode == 0
    for command in ("init", "validate", "plan", "apply", "status", "logs", "providers", "gc"):
        assert command in done.stdout


def test_init_then_apply_runs_the_starter(project: Project) -> None:
    assert project.bh("init").returncode == 0
    assert (project.root / "job.hcl").is_file() and (project.root / ".bh" / "state.db").is_file()
    assert project.bh("init").returncode == 2  # refuses to overwrite
    code, events = project.apply_json()
    assert code == 0
    assert set(finished(events).values()) == {"passed"} and len(finished(events)) == 3


def test_config_error_is_one_located_line_with_exit_2(project: Project) -> None:
    project.write('job "x" {\n  command = ["true"]\n  colour = 1\n}\n')
    for command in ("validate", "plan", "apply"):
        done = project.bh(command)
        assert done.returncode == 2, done.stderr
        assert "job.hcl:3:" in done.stderr and "Traceback" not in done.stderr


def test_missing_job_file_is_a_usage_error(project: Project) -> None:
    done = project.bh("plan", "nope.hcl")
    assert done.returncode == 2 and done.stderr.startswith("Error: nope.hcl")
    assert "Traceback" not in done.stderr


def test_apply_refuses_without_approval_on_a_non_tty(project: Project) -> None:
    project.write(HELLO)
    done = project.bh("apply", stdin="yes\n")
    assert done.returncode == 2 and "--auto-approve" in done.stderr
    assert "hello from a job" not in done.stdout


def test_json_stream_is_one_versioned_object_per_line(project: Project) -> None:
    project.write(HELLO)
    done = project.bh("apply", "--auto-approve", "--json")
    lines = done.stdout.splitlines()
    events = [json.loads(line) for line in lines]  # every line is JSON
    assert [e["event"] for e in events][:2] == ["plan", "run.started"]
    assert events[-1]["event"] == "run.finished" and events[-1]["exit_code"] == 0
    assert all(e["v"] == 1 and e["time"].endswith("Z") for e in events)
    assert of_type(events, "job.finished")[0]["status"] == "passed"


def test_failed_job_exits_1_and_its_log_is_kept(project: Project) -> None:
    project.write('job "bad" {\n  command = ["sh", "-c", "echo oops; exit 3"]\n}\n')
    done = project.bh("apply", "--auto-approve")
    assert done.returncode == 1 and "bad failed exit 3" in done.stdout
    assert project.output("bad") == "oops\n"
    status = project.bh("status", "1", "--json")
    jobs = json.loads(status.stdout)["jobs"]
    assert jobs[0]["status"] == "failed" and jobs[0]["exit_code"] == 3


def test_saved_plan_applies_as_shown_and_is_refused_after_a_change(project: Project) -> None:
    job_file = project.write(HELLO)
    planned = project.bh("plan", "-out", "p.bhplan", "--detailed-exitcode")
    assert planned.returncode == 3 and (project.root / "p.bhplan").is_file()
    applied = project.bh("apply", "--json", "p.bhplan")  # no --auto-approve: the saved plan is the approval
    events = [json.loads(line) for line in applied.stdout.splitlines()]
    assert applied.returncode == 0 and finished(events) == {"hello": "passed"}, applied.stderr
    job_file.write_text(HELLO.replace("a job", "another job"))
    done = project.bh("apply", "--auto-approve", "p.bhplan")
    assert done.returncode == 2 and "changed since this plan was made" in done.stderr


def test_plan_table_keeps_each_job_on_one_line_on_an_80_column_terminal(project: Project) -> None:
    project.write('job "count" {\n  params {\n    size = [1000, 100000]\n  }\n  command = ["true"]\n}\n')
    done = subprocess.run([*BH, "plan"], cwd=project.root, env={**project.env, "COLUMNS": "80"},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    rows = [line.split("│")[1].strip() for line in lines if line.startswith("│")]
    assert rows == ["count[size=1000]", "count[size=100000]"] and max(map(len, lines)) <= 80


def test_tables_into_a_pipe_are_neither_wrapped_nor_cut(project: Project) -> None:
    name = "a_job_with_a_name_long_enough_to_fill_most_of_an_eighty_column_line"
    project.write(f'job "{name}" {{\n  command = ["true"]\n}}\n')
    assert project.apply_json()[0] == 0
    env = {k: v for k, v in project.env.items() if k != "COLUMNS"}
    done = subprocess.run([*BH, "status", "1"], cwd=project.root, env=env, capture_output=True, text=True,
                          timeout=60)
    (row,) = [line for line in done.stdout.splitlines() if name in line]
    assert "passed" in row and "local" in row and len(row) > 80


def test_plan_json_explains_choice_and_total(project: Project) -> None:
    project.write(HELLO)
    done = project.bh("plan", "--json")
    (event,) = [json.loads(line) for line in done.stdout.splitlines()]
    assert event["event"] == "plan" and event["jobs"][0]["provider"] == "local"
    assert event["total_cost"] == pytest.approx(sum(j["estimated_cost"] for j in event["jobs"]))


def _apply_on_a_terminal(project: Project, answer: str) -> tuple[int, str]:
    """`bh apply` with a pseudo-terminal as stdin and stdout, typing `answer` at the prompt."""
    main, secondary = pty.openpty()
    bh = subprocess.Popen(
        [*BH, "apply"], cwd=project.root, env=project.env, stdin=secondary, stdout=secondary, stderr=secondary
    )
    os.close(secondary)
    output = b""
    while b"Run this plan?" not in output:
        output += os.read(main, 4096)
    os.write(main, answer.encode() + b"\n")
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the terminal closed: bh exited
            break
        if not chunk:
            break
        output += chunk
    os.close(main)
    return bh.wait(timeout=30), output.decode(errors="replace")


def test_apply_asks_on_a_terminal(project: Project) -> None:
    project.write(HELLO)
    code, output = _apply_on_a_terminal(project, "n")
    assert code == 1 and "not approved" in output
    code, output = _apply_on_a_terminal(project, "y")
    assert code == 0 and "hello passed" in output


def test_a_multi_node_job_needs_a_provider_that_runs_them(project: Project) -> None:
    project.write(
        'job "mpi" {\n  command  = ["true"]\n  provider = "local"\n  resources {\n    nodes = 3\n  }\n}\n'
    )
    done = project.bh("plan")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr == (
        "Error: job.hcl:1:1: job mpi: needs 3 nodes, but no provider of local runs multi-node jobs "
        "(none declares the multi_node capability)\n"
    )


def test_provider_status_messages_reach_the_log_and_the_json_stream(project: Project) -> None:
    project.write('provider "local" {\n  cgroups = false\n}\n' + HELLO)
    code, events = project.apply_json()
    assert code == 0
    statuses = [(e["job"], e["status"], e["message"]) for e in of_type(events, "job.status")]
    assert ("hello", "running") in [s[:2] for s in statuses]
    (running,) = [message for _, status, message in statuses if status == "running"]
    assert "resource metrics: rusage (" in running
    log = project.bh("logs", "hello").stdout.splitlines()
    assert f"[bh] running: {running}" in log and "hello from a job" in log
