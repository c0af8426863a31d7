"""Two bh processes on one project: concurrent writes, a database that stays locked, the project lock."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from benchhub.host.state import ProjectLock, ProjectLockedError, ResultSample, State, StateLockedError

WRITER = textwrap.dedent(
    """
    import sys
    from benchhub.host.state import Param, ResultSample, State
    path, tag, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with State(path) as state:
        run = state.create_run(f"{tag}.hcl", tag)
        for i in range(count):
            row = state.add_job(run, f"{tag}[i={i}]", tag, params=[Param("i", i)])
            state.update_job(row, status="running")
            state.add_result_samples(row, [ResultSample("b", "ns/op", float(n)) for n in range(20)])
            state.update_job(row, status="passed", wall_seconds=0.1)
        state.finish_run(run, "passed")
    """
)


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / ".bh" / "state.db"
    State(path).close()
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), tag, "60"], stderr=subprocess.PIPE)
        for tag in ("a", "b")
    ]
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err.decode()

    with State(path) as state:
        runs = state.runs()
        assert sorted(r.config_digest for r in runs) == ["a", "b"]
        for run in runs:
            assert (run.status, run.jobs_total, run.jobs_passed) == ("passed", 60, 60)
            assert sum(len(s) for s in state.result_samples_of_run(run.id).values()) == 60 * 20
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_processes_creating_a_fresh_database_at_once_migrate_it_once(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    creators = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), tag, "1"], stderr=subprocess.PIPE)
        for tag in ("a", "b", "c")
    ]
    for creator in creators:
        _, err = creator.communicate(timeout=120)
        assert creator.returncode == 0, err.decode()
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM runs").fetchone() == (3,)
    assert db.execute("SELECT count(*) FROM schema_version").fetchone() == (1,)


def test_a_database_that_stays_locked_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with State(path, busy_timeout=0.2) as state:
        run = state.create_run("job.hcl", "d")
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            started = time.monotonic()
            with pytest.raises(StateLockedError, match=r"stayed locked by another bh process for 0.2 s"):
                state.add_job(run, "a", "a")
            assert time.monotonic() - started >= 0.2
            assert state.run(run).status == "running"  # readers are not blocked by a writer (WAL)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        state.add_result_samples(state.add_job(run, "a", "a"), [ResultSample("b", "m", 1.0)])


HOLDER = textwrap.dedent(
    """
    import sys, time
    from benchhub.host.state import ProjectLock
    with ProjectLock(sys.argv[1], purpose="bh apply job.hcl"):
        print("locked", flush=True)
        time.sleep(float(sys.argv[2]))
    """
)


def _hold_lock(state_dir: Path, seconds: float) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(state_dir), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
    return holder


def test_a_second_process_fails_at_once_naming_the_holder(tmp_path: Path) -> None:
    holder = _hold_lock(tmp_path, 30)
    try:
        with pytest.raises(ProjectLockedError) as caught:
            ProjectLock(tmp_path).acquire()
        assert f"another bh process (pid {holder.pid}: bh apply job.hcl)" in str(caught.value)
    finally:
        holder.kill()
        holder.wait()
    with ProjectLock(tmp_path):  # the lock died with its process
        assert (tmp_path / "lock").read_text().startswith("pid ")


def test_waiting_for_the_lock_acquires_it_when_the_holder_finishes(tmp_path: Path) -> None:
    holder = _hold_lock(tmp_path, 0.3)
    started = time.monotonic()
    with ProjectLock(tmp_path, wait=20):
        assert time.monotonic() - started > 0.1
        assert (tmp_path / "lock").read_text().startswith(f"pid {os.getpid()}: ")
    holder.wait()


def test_waiting_gives_up_after_the_timeout(tmp_path: Path) -> None:
    holder = _hold_lock(tmp_path, 30)
    try:
        with pytest.raises(ProjectLockedError, match=r"after waiting 0\.2 s"):
            ProjectLock(tmp_path, wait=0.2).acquire()
    finally:
        holder.kill()
        holder.wait()
