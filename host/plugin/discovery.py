"""Finding provider executables: ``bh-provider-<name>`` in the project's ``.bh/providers/``, then in the
directories of ``BH_PLUGIN_PATH``, then on ``PATH``; the first found wins."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from benchhub.host.plugin.errors import PluginError

PREFIX = "bh-provider-"
PLUGIN_PATH_ENV = "BH_PLUGIN_PATH"


@dataclasses.dataclass(frozen=True)
class Discovered:
    name: str  # "local" for bh-provider-local
    path: Path
    source: str  # "project", "BH_PLUGIN_PATH" or "PATH"


def search_dirs(project_dir: Path) -> list[tuple[Path, str]]:
    dirs = [(project_dir / ".bh" / "providers", "project")]
    for env, source in ((PLUGIN_PATH_ENV, PLUGIN_PATH_ENV), ("PATH", "PATH")):
        dirs += [(Path(d), source) for d in os.environ.get(env, "").split(os.pathsep) if d]
    return dirs


def discover(project_dir: Path) -> list[Discovered]:
    """Every provider visible from `project_dir`, by name, first found wins."""
    found: dict[str, Discovered] = {}
    for directory, source in search_dirs(project_dir):
        try:
            entries = sorted(directory.iterdir())
        except OSError:
            continue
        for entry in entries:
            name = entry.name.removeprefix(PREFIX)
            if entry.name.startswith(PREFIX) and name and name not in found and entry.is_file():
                found[name] = Discovered(name, entry, source)
    return sorted(found.values(), key=lambda d: d.name)


def find(name: str, project_dir: Path) -> Discovered:
    """The executable for provider `name`; PluginError when there is none."""
    for directory, source in search_dirs(project_dir):
        candidate = directory / f"{PREFIX}{name}"
        if candidate.is_file():
            return Discovered(name, candidate, source)
    raise PluginError(
        f"{PREFIX}{name}",
        f"not found in .bh/providers/, ${PLUGIN_PATH_ENV} or $PATH (install it or check the provider name)",
    )
