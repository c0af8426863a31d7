"""The state store on a real SQLite file: runs, jobs, params, allocations, samples, migrations."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchhub.host.errors import BenchHubError
from benchhub.host.state import (
    Environment,
    NotFoundInStateError,
    Param,
    ResourceSample,
    ResultSample,
    Snapshot,
    State,
    default_state_path,
)
from benchhub.host.state.migrations import LATEST_VERSION


@pytest.fixture
def state(tmp_path: Path) -> Iterator[State]:
    with State(default_state_path(tmp_path)) as s:
        yield s


def test_default_path_is_under_dot_bh(tmp_path: Path) -> None:
    assert default_state_path(tmp_path) == tmp_path / ".bh" / "state.db"


def test_sqlite_runs_in_wal_mode_with_foreign_keys(state: State) -> None:
    with state.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_run_totals_count_the_last_attempt_of_each_job(state: State) -> None:
    run = state.create_run("job.hcl", "sha256:abc", ref="main")
    first = state.add_job(run, "a", "a", estimated_cost=0.5)
    state.update_job(first, status="preempted", actual_cost=0.25, currency="USD")
    retry = state.add_job(run, "a", "a", attempt=2, estimated_cost=0.5)
    state.update_job(retry, status="passed", actual_cost=0.5, currency="USD", wall_seconds=3.0)
    state.update_job(state.add_job(run, "b", "b"), status="oom_killed")
    state.update_job(state.add_job(run, "c", "c"), status="skipped")

    done = state.finish_run(run, "failed")

    assert (done.status, done.ref, done.config_digest) == ("failed", "main", "sha256:abc")
    assert (done.jobs_total, done.jobs_passed, done.jobs_failed, done.jobs_skipped) == (3, 1, 1, 1)
    assert done.estimated_cost == 0.5
    assert done.actual_cost == 0.75  # both attempts were paid for
    assert done.currency == "USD"
    assert done.finished is not None and done.finished >= done.created
    assert [j.job_id for j in state.jobs(run, latest_attempts=True)] == ["a", "b", "c"]
    assert [j.attempt for j in state.jobs(run)] == [1, 2, 1, 1]


def test_run_totals_leave_out_the_sides_of_a_paired_job(state: State) -> None:
    run = state.create_run("job.hcl", "sha256:abc")
    state.update_job(state.add_job(run, "bench", "bench", params=[Param("n", 1)]), status="passed")
    for side in ("A", "B"):
        params = [Param("n", 1), Param("pair", side)]
        state.add_job(run, f"bench@{side}", "bench", params=params, status="passed")

    done = state.finish_run(run, "passed")

    assert (done.jobs_total, done.jobs_passed, done.jobs_failed) == (1, 1, 0)


def test_runs_are_listed_newest_first(state: State) -> None:
    assert state.last_run() is None
    ids = [state.create_run("job.hcl", f"d{i}") for i in range(3)]
    assert [r.id for r in state.runs()] == ids[::-1]
    assert state.last_run() == state.run(ids[-1])
    assert [r.id for r in state.runs(limit=2)] == ids[:0:-1]


def test_params_keep_their_types(state: State) -> None:
    run = state.create_run("job.hcl", "d")
    params = [
        Param("size", 1000, "argument"),
        Param("ratio", 0.5),
        Param("algo", "quick", "env", "ALGO"),
        Param("fast", True),
    ]
    row = state.add_job(run, "sort[size=1000,ratio=0.5,algo=quick,fast=true]", "sort", params=params)
    assert state.params(row) == params
    assert [type(p.value) for p in state.params(row)] == [int, float, str, bool]
    assert state.params_of_run(run) == {row: params}


def test_update_job_rejects_unknown_columns_and_statuses(state: State) -> None:
    row = state.add_job(state.create_run("job.hcl", "d"), "a", "a")
    with pytest.raises(TypeError, match="not updatable: colour"):
        state.update_job(row, colour="red")
    with pytest.raises(ValueError, match="unknown job status 'done'"):
        state.update_job(row, status="done")
    with pytest.raises(NotFoundInStateError):
        state.update_job(row + 100, status="passed")
    state.update_job(row, status="running", provider="local", offer_id="o", started=1.0)
    job = state.job(row)
    assert (job.status, job.provider, job.offer_id, job.started) == ("running", "local", "o", 1.0)


def test_duration_history_uses_passed_runs_of_the_same_job_id_newest_first(state: State) -> None:
    for wall, status in [(1.0, "passed"), (9.0, "failed"), (2.0, "passed"), (3.0, "passed")]:
        run = state.create_run("job.hcl", "d")
        state.update_job(state.add_job(run, "sort[size=1]", "sort"), status=status, wall_seconds=wall)
        state.update_job(state.add_job(run, "sort[size=2]", "sort"), status="passed", wall_seconds=50.0)
    assert state.job_duration_history("sort[size=1]") == [3.0, 2.0, 1.0]
    assert state.job_duration_history("sort[size=1]", limit=2) == [3.0, 2.0]
    assert state.job_duration_history("unknown") == []


def test_allocation_intent_is_recorded_before_allocate_and_release_after(state: State) -> None:
    run = state.create_run("job.hcl", "d")
    kept = state.record_allocation_intent("local", "offer-1", "tok-1", {"bh-run": str(run)}, run_id=run)
    failed = state.record_allocation_intent("aws", "offer-2", "tok-2", {})
    done = state.record_allocation_intent("local", "offer-3", "tok-3", {})
    assert [a.state for a in state.unreleased_allocations()] == ["intended"] * 3

    state.record_allocated(kept, "alloc-abc")
    state.record_allocation_failed(failed, "capacity: no m5.large in eu-west-1a")
    state.record_allocated(done, "alloc-def")
    state.record_released(done)

    unreleased = state.unreleased_allocations()
    assert [(a.id, a.state, a.provider_allocation_id, a.tags) for a in unreleased] == [
        (kept, "allocated", "alloc-abc", {"bh-run": str(run)})
    ]
    assert state.unreleased_allocations(provider="aws") == []
    assert state.allocation(failed).error == "capacity: no m5.large in eu-west-1a"
    released = state.allocation(done)
    assert released.released is not None and released.allocated is not None
    assert [a.id for a in state.allocations(run_id=run)] == [kept]
    assert len(state.allocations()) == 3


def test_the_same_idempotency_token_cannot_be_recorded_twice(state: State) -> None:
    state.record_allocation_intent("local", "o", "tok", {})
    with pytest.raises(BenchHubError):
        state.record_allocation_intent("local", "o", "tok", {})


def test_snapshots_are_recorded_once_per_digest(state: State) -> None:
    snap = Snapshot("sha256:aa", "c0ffee", "main", False, "/p/.bh/snapshots/aa.tar", 10, 2, 1.0)
    state.record_snapshot(snap)
    state.record_snapshot(Snapshot("sha256:aa", "other", "dev", True, "/x", 1, 1, 2.0))
    assert state.snapshot("sha256:aa") == snap
    assert state.snapshot("sha256:bb") is None
    row = state.add_job(state.create_run("job.hcl", "d"), "a", "a", snapshot_digest="sha256:aa")
    assert state.job(row).snapshot_digest == "sha256:aa"


def test_foreign_keys_are_enforced(state: State) -> None:
    with pytest.raises(BenchHubError):
        state.add_job(12345, "a", "a")


def test_samples_and_environment_round_trip(state: State) -> None:
    run = state.create_run("job.hcl", "d")
    row = state.add_job(run, "a", "a")
    resources = [
        ResourceSample(0.5, 0.1, 1000, 1000, 3, 0.0, 10, 20, "cgroup-v2"),
        ResourceSample(1.0, 0.3, 900, 1200, source="rusage"),
        ResourceSample(0.7, 0.2, 800, 800, source="rusage", node=1),  # listed by node, then time
    ]
    results = [
        ResultSample("BenchmarkSort/1000", "ns/op", 1234.5, "ns", "lower", 0),
        ResultSample("BenchmarkSort/1000", "MB/s", 80.0, "MB/s", "higher", 0),
    ]
    state.add_resource_samples(row, resources)
    state.add_result_samples(row, results)
    state.add_result_samples(row, [])
    env = Environment("Xeon", 2, "6.1.0", "local", "local-1", "host", 0.0, "USD")
    state.set_environment(row, env)

    assert state.resource_samples(row) == resources
    assert state.result_samples(row) == results
    assert state.result_samples_of_run(run) == {row: results}
    assert state.environment(row) == env
    assert state.environment(row + 1) is None
    with pytest.raises(ValueError, match="direction"):
        state.add_result_samples(row, [ResultSample("b", "m", 1.0, direction="up")])  # type: ignore[arg-type]


def test_deleting_a_run_cascades_to_its_rows(state: State) -> None:
    run = state.create_run("job.hcl", "d")
    row = state.add_job(run, "a", "a", params=[Param("n", 1)])
    state.add_result_samples(row, [ResultSample("b", "m", 1.0)])
    with state.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM runs WHERE id = ?", (run,))
        counts = [conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar() for t in
                  ("jobs", "params", "result_samples")]
    assert counts == [0, 0, 0]


def test_a_reopened_database_keeps_its_data_and_version(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with State(path) as first:
        run = first.create_run("job.hcl", "d")
        assert first.schema_version == LATEST_VERSION
    with State(path) as second:
        assert second.run(run).job_file == "job.hcl"
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM schema_version").fetchone() == (1,)


def test_a_database_from_a_newer_bh_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    State(path).close()
    db = sqlite3.connect(path)
    db.execute("INSERT INTO schema_version VALUES (?, 0, 'from the future')", (LATEST_VERSION + 1,))
    db.commit()
    db.close()
    with pytest.raises(BenchHubError, match=f"version {LATEST_VERSION + 1} is newer"):
        State(path)


def test_an_unwritable_location_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(BenchHubError, match="cannot create the state directory"):
        State(tmp_path / "file" / "state.db")


def test_unknown_ids_raise_not_found(state: State) -> None:
    with pytest.raises(NotFoundInStateError, match="no run 7"):
        state.run(7)
    with pytest.raises(NotFoundInStateError):
        state.job(7)
    with pytest.raises(NotFoundInStateError):
        state.allocation(7)
    with pytest.raises(NotFoundInStateError):
        state.record_released(7)


def test_an_older_database_is_migrated_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import Connection

    from benchhub.host.state import migrations

    path = tmp_path / "state.db"
    with State(path) as old:
        run = old.create_run("job.hcl", "d")

    def add_note(conn: Connection) -> None:
        conn.exec_driver_sql("ALTER TABLE runs ADD COLUMN note TEXT DEFAULT 'migrated'")

    later, current = LATEST_VERSION + 1, migrations.MIGRATIONS[-1].description
    newer = (*migrations.MIGRATIONS, migrations.Migration(later, "run notes", add_note))
    monkeypatch.setattr(migrations, "MIGRATIONS", newer)
    monkeypatch.setattr(migrations, "LATEST_VERSION", later)
    with State(path) as state:
        assert state.schema_version == later
        assert state.run(run).job_file == "job.hcl"
    db = sqlite3.connect(path)
    assert db.execute("SELECT note FROM runs").fetchone() == ("migrated",)
    assert db.execute("SELECT version, description FROM schema_version ORDER BY version").fetchall() == [
        (LATEST_VERSION, current), (later, "run notes")
    ]


def test_a_version_1_database_gains_the_node_of_resource_samples(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with State(path) as state:
        row = state.add_job(state.create_run("job.hcl", "d"), "a", "a")
        state.add_resource_samples(row, [ResourceSample(0.5, 0.1, 1000, 1000)])
    db = sqlite3.connect(path)  # back to what bh wrote before version 2
    db.execute("DROP INDEX ix_resource_samples_job")
    db.execute("ALTER TABLE resource_samples DROP COLUMN node")
    db.execute("CREATE INDEX ix_resource_samples_job ON resource_samples (job)")
    db.execute("DELETE FROM schema_version")
    db.execute("INSERT INTO schema_version VALUES (1, 0, 'initial schema')")
    db.commit()
    db.close()
    with State(path) as state:
        assert state.schema_version == LATEST_VERSION >= 2
        state.add_resource_samples(row, [ResourceSample(0.5, 0.2, 2000, 2000, node=2)])
        assert [(s.node, s.cpu_seconds) for s in state.resource_samples(row)] == [(0, 0.1), (2, 0.2)]


def test_forty_thousand_result_samples_in_one_call(state: State) -> None:
    row = state.add_job(state.create_run("job.hcl", "d"), "a", "a")
    samples = [
        ResultSample(f"Benchmark{i % 1000}", "ns/op", float(i), "ns", "lower", i // 1000)
        for i in range(40_000)
    ]
    state.add_result_samples(row, samples)
    assert state.result_samples(row) == samples
