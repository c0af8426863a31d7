"""The project's state: runs, jobs, parameters, snapshots, allocations, samples (SQLite under `.bh/`).

    from benchhub.host.state import State, default_state_path, ProjectLock
    with ProjectLock(".bh"), State(default_state_path()) as state: ...

`schema` holds the SQLAlchemy Core tables for queries the typed API does not cover
(`state.engine` is the engine).
"""

from benchhub.host.state.lock import ProjectLock, ProjectLockedError
from benchhub.host.state.records import (
    Allocation,
    AllocationState,
    Direction,
    Environment,
    Job,
    JobStatus,
    Param,
    ParamValue,
    ResourceSample,
    ResultSample,
    Run,
    RunStatus,
    Snapshot,
)
from benchhub.host.state.store import (
    NotFoundInStateError,
    State,
    StateLockedError,
    default_state_path,
)

__all__ = [
    "Allocation",
    "AllocationState",
    "Direction",
    "Environment",
    "Job",
    "JobStatus",
    "NotFoundInStateError",
    "Param",
    "ParamValue",
    "ProjectLock",
    "ProjectLockedError",
    "ResourceSample",
    "ResultSample",
    "Run",
    "RunStatus",
    "Snapshot",
    "State",
    "StateLockedError",
    "default_state_path",
]
