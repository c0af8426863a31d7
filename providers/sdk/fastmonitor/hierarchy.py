"""Where a process's cgroups live: cgroup v1 controller directories or one cgroup v2 directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

V1_CONTROLLERS = ("memory", "cpu", "cpuacct", "pids", "blkio")


class CgroupUnavailable(Exception):
    """The cgroup cannot be read or created here; the message says why."""


@dataclass(frozen=True)
class CgroupLocation:
    """A cgroup: `version` 1 with one directory per controller, or 2 with a single directory."""

    version: int
    dirs: dict[str, Path]  # v1: controller -> directory; v2: {"unified": directory}

    @property
    def unified(self) -> Path:
        return self.dirs["unified"]

    def child(self, relative: str) -> CgroupLocation:
        return CgroupLocation(self.version, {name: d / relative for name, d in self.dirs.items()})


@dataclass(frozen=True)
class _Mount:
    root: str
    point: Path


def _mounts(mountinfo: str) -> tuple[dict[str, _Mount], _Mount | None]:
    """v1 mounts by controller name, and the cgroup2 mount, from /proc/self/mountinfo text."""
    v1: dict[str, _Mount] = {}
    v2: _Mount | None = None
    for line in mountinfo.splitlines():
        fields, _, tail = line.partition(" - ")
        parts, tail_parts = fields.split(), tail.split()
        if len(parts) < 5 or len(tail_parts) < 3:
            continue
        mount = _Mount(root=parts[3], point=Path(parts[4]))
        if tail_parts[0] == "cgroup2":
            v2 = mount
        elif tail_parts[0] == "cgroup":
            for option in tail_parts[2].split(","):
                if option in V1_CONTROLLERS:
                    v1[option] = mount
    return v1, v2


def _membership(proc_cgroup: str) -> tuple[dict[str, str], str | None]:
    """v1 controller -> path, and the v2 path, from /proc/<pid>/cgroup text."""
    v1: dict[str, str] = {}
    v2: str | None = None
    for line in proc_cgroup.splitlines():
        hierarchy_id, controllers, path = line.split(":", 2)
        if hierarchy_id == "0" and controllers == "":
            v2 = path
        for controller in controllers.split(","):
            if controller in V1_CONTROLLERS:
                v1[controller] = path
    return v1, v2


def _under(mount: _Mount, path: str) -> Path:
    relative = Path(path).relative_to(mount.root) if mount.root != "/" else Path(path.lstrip("/"))
    return mount.point / relative


def _v2_controllers(directory: Path) -> set[str]:
    try:
        return set((directory / "cgroup.controllers").read_text().split())
    except OSError:
        return set()


def locate(pid: int | str = "self") -> CgroupLocation:
    """The cgroup of `pid` that carries memory accounting: v1 when the v1 memory controller is
    mounted (v1 and hybrid hosts), else v2 when its memory controller is enabled there."""
    try:
        proc_cgroup = Path(f"/proc/{pid}/cgroup").read_text()
        mountinfo = Path("/proc/self/mountinfo").read_text()
    except OSError as e:
        raise CgroupUnavailable(f"cannot read the cgroup of process {pid}: {e.strerror}") from e
    v1_mounts, v2_mount = _mounts(mountinfo)
    v1_paths, v2_path = _membership(proc_cgroup)
    if "memory" in v1_mounts and "memory" in v1_paths:
        mounted = [c for c in V1_CONTROLLERS if c in v1_mounts and c in v1_paths]
        return CgroupLocation(1, {c: _under(v1_mounts[c], v1_paths[c]) for c in mounted})
    if v2_mount is not None and v2_path is not None:
        directory = _under(v2_mount, v2_path)
        if "memory" in _v2_controllers(directory):
            return CgroupLocation(2, {"unified": directory})
    raise CgroupUnavailable(f"process {pid} has no cgroup with a memory controller (v1 or v2) mounted here")
