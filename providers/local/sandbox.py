"""One local allocation: a temp dir holding a working dir per job, and the jobs running in it."""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb
from benchhub.providers.local.execution import Execution
from benchhub.providers.local.metering import metering_for
from benchhub.providers.local.staging import inside, stage
from benchhub.providers.local.sysctl import SystemSettings
from benchhub.providers.sdk import wire
from benchhub.providers.sdk.capacity import CapacityPool
from benchhub.providers.sdk.errors import InvalidError, NotFoundError
from benchhub.providers.sdk.parameters import apply_parameters, environment

_PLUGIN_ENV = {wire.MAGIC_COOKIE_KEY, wire.PROTOCOL_VERSIONS_ENV, wire.CLIENT_CERT_ENV, wire.NETWORK_ENV,
               wire.MIN_PORT_ENV, wire.MAX_PORT_ENV}


def job_environment(job: job_pb2.Job, base: Mapping[str, str]) -> dict[str, str]:
    """The provider's environment minus the plugin wire's variables, plus the job's env and env parameters."""
    return {**{k: v for k, v in base.items() if k not in _PLUGIN_ENV}, **environment(job)}


def _dirname(job: job_pb2.Job) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", job.id or job.name or "job")


class Sandbox:
    def __init__(self, root: Path, resources: job_pb2.Resources) -> None:
        self.root = root
        self.jobs = CapacityPool(resources)
        self.running: dict[str, Execution] = {}
        self.workdirs: dict[str, Path] = {}
        self.give_back: dict[str, Callable[[], None]] = {}  # per running job: its system settings
        self._lock = threading.Lock()

    def prepare(self, job: job_pb2.Job) -> Path:
        """A fresh working dir for `job` with its inputs staged; returns the dir its command runs in."""
        sandbox = self.root / _dirname(job)
        if sandbox.exists():
            shutil.rmtree(sandbox)
        sandbox.mkdir()
        for artifact in job.inputs:
            stage(artifact, sandbox)
        workdir = inside(sandbox, job.workdir or ".")
        workdir.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self.workdirs[job.id] = workdir
        return workdir

    def start(self, job: job_pb2.Job, workdir: Path, cgroups: bool, system: SystemSettings) -> Execution:
        """Start `job` with its parameters applied (arguments, env, config files written into
        `workdir`, system settings held while it runs), measured in its own cgroup when `cgroups`
        is on and one can be made."""
        applied = apply_parameters(job, "local")
        for relative, text in applied.config_files.items():
            path = workdir / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        with self._lock:
            if job.id in self.running:
                raise InvalidError(f"job {job.id!r} is already running in this allocation")
            give_back = system.hold(applied.system)
            metering = metering_for(f"{self.root.name}-{_dirname(job)}", job.resources, cgroups)
            try:
                execution = Execution(job, applied.argv, workdir, job_environment(job, os.environ), metering)
            except BaseException:
                metering.close()
                give_back()
                raise
            self.running[job.id] = execution
            self.give_back[job.id] = give_back
            return execution

    def finished(self, job: job_pb2.Job) -> None:
        with self._lock:
            self.running.pop(job.id, None)
            give_back = self.give_back.pop(job.id, None)
        if give_back is not None:
            give_back()

    def workdir(self, job_id: str) -> Path:
        with self._lock:
            found = self.workdirs.get(job_id)
        if found is None:
            raise NotFoundError(f"job {job_id!r} never ran in this allocation")
        return found

    def destroy(self) -> None:
        """Kill every job still running (as cancelled) and remove the temp dir."""
        with self._lock:
            running = list(self.running.values())
        for execution in running:
            execution.kill(pb.EXIT_STATUS_CANCELLED, grace=False)
        shutil.rmtree(self.root, ignore_errors=True)
