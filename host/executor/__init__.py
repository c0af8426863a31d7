"""Running a `Plan`: the DAG walk with parallelism, `when` conditions, allocation with failover,
retries of preempted work, budget, artifacts between jobs, logs, cancellation and the exit code."""
