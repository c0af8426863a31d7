"""`bh apply`'s run: the project lock, a state run, the executor, Ctrl-C, and the exit code."""

from __future__ import annotations

import gc
import hashlib
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TextIO

from benchhub.host.cli import EXIT_OUTPUT_CLOSED
from benchhub.host.executor.allocator import TAG_PROJECT
from benchhub.host.executor.events import EventSink, JsonLinesSink, OutputGuard, SerialSink
from benchhub.host.executor.recording import StateRecorder
from benchhub.host.executor.runner import Executor, RunResult
from benchhub.host.planning.model import Plan
from benchhub.host.planning.providers import ProviderSession
from benchhub.host.state import ProjectLock, State, default_state_path


def project_tag(project_dir: Path) -> str:
    """Tags every allocation with its project, so `bh gc` never touches another project's."""
    return hashlib.sha256(str(project_dir.resolve()).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Applied:
    run_id: int
    exit_code: int


def run_plan(
    plan: Plan, session: ProviderSession, *, parallelism: int | None, as_json: bool, to_stderr: bool = False
) -> Applied:
    """Run `plan` as a new run; progress (or with `as_json` the event stream) on stdout, or on stderr
    with `to_stderr` (when stdout carries something else, like `bh compare`'s table). When that output
    is closed under us, the run stops as if interrupted and the exit code is EXIT_OUTPUT_CLOSED."""
    project = Path.cwd()
    state_path = default_state_path(project)
    with ProjectLock(state_path.parent), State(state_path) as state:
        run_id = state.create_run(plan.job_file, plan.job_file_digest, ref=plan.ref)
        recorder = StateRecorder(state, run_id)
        workdir = state_path.parent / "runs" / str(run_id)
        width = parallelism or plan.parallelism
        output = sys.stderr if to_stderr else sys.stdout
        try:
            if as_json:
                guard = OutputGuard(JsonLinesSink(output))
                result = _execute(plan, session, recorder, guard, output, run_id, workdir, width)
            else:
                from benchhub.host.cli.console import PipeConsole
                from benchhub.host.cli.render import ProgressDisplay

                with ProgressDisplay(len(plan.jobs), PipeConsole(stderr=to_stderr)) as display:
                    guard = OutputGuard(display)
                    result = _execute(plan, session, recorder, guard, output, run_id, workdir, width)
        except KeyboardInterrupt:  # before the executor took over Ctrl-C: nothing was allocated yet
            state.finish_run(run_id, "interrupted")
            raise
        state.finish_run(run_id, result.status)
    return Applied(run_id, EXIT_OUTPUT_CLOSED if guard.closed else result.exit_code)


def _execute(
    plan: Plan,
    session: ProviderSession,
    recorder: StateRecorder,
    guard: OutputGuard,
    output: TextIO,
    run_id: int,
    workdir: Path,
    parallelism: int,
) -> RunResult:
    sink: EventSink = SerialSink(guard)
    executor = Executor(
        plan,
        str(run_id),
        session.clients(),
        recorder,
        sink,
        workdir,
        parallelism=parallelism,
        extra_tags={TAG_PROJECT: project_tag(Path.cwd())},
    )
    guard.when_closed(executor.cancel)  # nobody reads any more: stop like on Ctrl-C
    guard.watch(output)
    previous = signal.signal(signal.SIGINT, _first_cancels_second_forces(executor))
    gc.freeze()  # what startup made lives until exit: later collections need not walk it
    gc.enable()  # a run is long enough for cycles to matter
    try:
        return executor.run()
    finally:
        signal.signal(signal.SIGINT, previous)


def _first_cancels_second_forces(executor: Executor) -> Callable[[int, FrameType | None], None]:
    """Ctrl-C cancels the run cleanly; a second Ctrl-C stops waiting (what is left, `bh gc` finds)."""
    pressed = []

    def handler(signum: int, frame: FrameType | None) -> None:
        pressed.append(signum)
        if len(pressed) > 1:
            raise KeyboardInterrupt
        executor.cancel()

    return handler
