"""What `bh apply` prints for each event on a terminal (rich, recorded instead of shown)."""

from __future__ import annotations

import io

from rich.console import Console

from benchhub.host.cli.console import PipeConsole
from benchhub.host.cli.render import ProgressDisplay
from benchhub.host.executor.events import Event


def _printed(*events: Event) -> list[str]:
    console = Console(record=True, width=200, color_system=None)
    with ProgressDisplay(2, console) as display:
        for event in events:
            display(event)
    return console.export_text().splitlines()


def test_provider_status_messages_are_shown_per_job() -> None:
    metrics = "pid 42 in /tmp/x; resource metrics: rusage (no cgroup v2 delegation here)"
    lines = _printed(
        Event("job.started", {"run": "1", "job": "sort[size=10]", "provider": "local", "offer": "o",
                              "allocation": "a"}),
        Event("job.status", {"run": "1", "job": "sort[size=10]", "status": "running", "message": metrics}),
        Event("job.status", {"run": "1", "job": "sort[size=10]", "status": "preparing", "message": ""}),
    )
    assert lines == [f"· sort[size=10]: running — {metrics}", "· sort[size=10]: preparing"]


def test_into_a_pipe_a_long_line_stays_one_line() -> None:
    out = io.StringIO()
    console = PipeConsole(file=out, width=80, color_system=None)
    message = "pid 42 in /tmp/" + "d" * 100 + "; resource metrics: cgroup-v2"
    fields = {"run": "1", "job": "sort[size=10]", "status": "running", "message": message}
    with ProgressDisplay(1, console) as display:
        display(Event("job.status", fields))
    assert out.getvalue().splitlines() == [f"· sort[size=10]: running — {message}"]
