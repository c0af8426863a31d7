"""Finding provider executables: ``bh-provider-<name>`` in the project's ``.bh/providers/``, then in the
directories of ``BH_PLUGIN_PATH``, then beside ``bh`` (the scripts directory of the Python installation
that runs it, where ``pip install`` put the bundled providers), then on ``PATH``; the first found wins.

Looking beside ``bh`` before ``PATH`` runs the providers installed with this ``bh`` rather than another
installation's, and directly rather than through a version manager's shim (pyenv's adds ~0.1 s to every
launch)."""

from __future__ import annotations

import dataclasses
import os
import sysconfig
from pathlib import Path

from benchhub.host.plugin.errors import PluginError

PREFIX = "bh-provider-"
PLUGIN_PATH_ENV = "BH_PLUGIN_PATH"


@dataclasses.dataclass(frozen=True)
class Discovered:
    name: str  # "local" for bh-provider-local
    path: Path
    source: str  # "project", "BH_PLUGIN_PATH", "installation" or "PATH"


def installation_dir() -> Path:
    """Where this Python installation keeps console scripts: `bh` and the bundled providers."""
    return Path(sysconfig.get_path("scripts"))


def search_dirs(project_dir: Path) -> list[tuple[Path, str]]:
    dirs = [(project_dir / ".bh" / "providers", "project")]
    dirs += [(Path(d), PLUGIN_PATH_ENV) for d in os.environ.get(PLUGIN_PATH_ENV, "").split(os.pathsep) if d]
    dirs.append((installation_dir(), "installation"))
    dirs += [(Path(d), "PATH") for d in os.environ.get("PATH", "").split(os.pathsep) if d]
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
        f"not found in .bh/providers/, ${PLUGIN_PATH_ENV}, {installation_dir()} or $PATH"
        " (install it or check the provider name)",
    )
