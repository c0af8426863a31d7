"""Storing and comparing 1,000 benchmarks x 20 samples x 2 runs (40,000 samples).

Prints, each with its baseline measured in the same run:
  * store: `State.add_result_samples` of every job's samples (one transaction per job), against a
    plain sqlite3 executemany of the same rows, one commit per job, WAL like the state;
  * compare: `compare_sides(state, "1", "2")` (load both runs, per-series median + CI, Mann-Whitney
    U, outliers, geomean) against loading the same rows with plain sqlite3 (target: under 1 s).

    python bench/results.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
import timeit
from collections.abc import Callable
from pathlib import Path

from benchhub.host.results import Comparison, compare_sides
from benchhub.host.state import Param, ResultSample, State

BENCHMARKS, SAMPLES, RUNS, JOBS = 1000, 20, 2, 10
SHIFT = 1.03  # run 2 of every even shard is 3% slower
INSERT = (
    "INSERT INTO result_samples (job, benchmark, metric, unit, direction, iteration, value) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
LOAD = (
    "SELECT r.job, r.benchmark, r.metric, r.unit, r.direction, r.iteration, r.value "
    "FROM result_samples r JOIN jobs j ON r.job = j.id WHERE j.run_id = ? ORDER BY r.id"
)


def samples_of(shard: int, run: int, rng: random.Random) -> list[ResultSample]:
    shift = SHIFT if run == 2 and shard % 2 == 0 else 1.0
    return [
        ResultSample(f"Bench{shard:02d}_{b:03d}", "time", rng.gauss(1000.0 + b, 20.0) * shift, "ns/op",
                     "lower", i)
        for b in range(BENCHMARKS // JOBS)
        for i in range(SAMPLES)
    ]


def best(repeat: int, action: Callable[[], object]) -> float:
    return min(timeit.repeat(action, setup="gc.enable()", number=1, repeat=repeat))


def store_plain(path: Path, data: dict[int, list[ResultSample]]) -> float:
    plain = sqlite3.connect(path)
    plain.execute("PRAGMA journal_mode = WAL")
    plain.execute("PRAGMA synchronous = NORMAL")
    plain.execute("CREATE TABLE result_samples (id INTEGER PRIMARY KEY, job INTEGER, benchmark TEXT, "
                  "metric TEXT, unit TEXT, direction TEXT, iteration INTEGER, value REAL)")
    started = time.perf_counter()
    for row, samples in data.items():
        plain.executemany(
            INSERT, [(row, s.benchmark, s.metric, s.unit, s.direction, s.iteration, s.value) for s in samples]
        )
        plain.commit()
    took = time.perf_counter() - started
    plain.close()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp, State(Path(tmp) / "state.db") as state:
        data: dict[int, list[ResultSample]] = {}
        for run in range(1, RUNS + 1):
            run_id = state.create_run("bench.hcl", "sha256:0")
            for shard in range(JOBS):
                row = state.add_job(run_id, f"bench[shard={shard}]", "bench", params=[Param("shard", shard)])
                data[row] = samples_of(shard, run, rng)

        started = time.perf_counter()
        for row, samples in data.items():
            state.add_result_samples(row, samples)
        store = time.perf_counter() - started
        plain_store = store_plain(Path(tmp) / "plain.db", data)

        raw = sqlite3.connect(Path(tmp) / "state.db")
        loaded: list[int] = []

        def load_plain() -> None:
            loaded.append(sum(len(raw.execute(LOAD, (run,)).fetchall()) for run in (1, 2)))

        load = best(args.repeat, load_plain)
        raw.close()
        comparisons: list[Comparison] = []
        compare = best(args.repeat, lambda: comparisons.append(compare_sides(state, "1", "2")))

    total = BENCHMARKS * SAMPLES * RUNS
    c = comparisons[-1]
    significant = sum(1 for r in c.rows if r.significant)
    verdict = "met" if compare < 1 else "MISSED"
    print(f"{BENCHMARKS} benchmarks x {SAMPLES} samples x {RUNS} runs = {total} samples, {loaded[-1]} loaded")
    print(f"store:   {store:.3f} s through State ({total / store:,.0f} samples/s); "
          f"plain sqlite3 {plain_store:.3f} s; ratio {store / plain_store:.2f}")
    print(f"compare: {compare:.3f} s (target < 1 s: {verdict}); "
          f"plain sqlite3 load of the same rows {load:.3f} s; ratio {compare / load:.1f}")
    print(f"         {len(c.rows)} rows, {significant} significant "
          f"({BENCHMARKS // 2} shifted by {SHIFT - 1:.0%}, "
          f"about {BENCHMARKS // 2 * 5 // 100} false positives expected at alpha 0.05)")


if __name__ == "__main__":
    main()
