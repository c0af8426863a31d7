"""Shared fixtures: a temp directory of provider executables on BH_PLUGIN_PATH."""

from __future__ import annotations

import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

PLUGINS = Path(__file__).parent / "plugins"

InstallPlugin = Callable[..., Path]


@pytest.fixture
def plugin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty directory on ``BH_PLUGIN_PATH`` (ahead of anything else there)."""
    directory = tmp_path / "plugins"
    directory.mkdir()
    monkeypatch.setenv("BH_PLUGIN_PATH", str(directory))
    return directory


@pytest.fixture
def install_plugin(plugin_dir: Path) -> InstallPlugin:
    """``install_plugin(name, script, *args)``: ``bh-provider-<name>`` running ``tests/plugins/<script>``
    (or a module given as ``-m module``) with this interpreter; returns its path."""

    def install(name: str, script: str, *args: str) -> Path:
        target = ["-m", args[0], *args[1:]] if script == "-m" else [str(PLUGINS / script), *args]
        path = plugin_dir / f"bh-provider-{name}"
        path.write_text(f"#!/bin/sh\nexec {shlex.join([sys.executable, *target])}\n")
        path.chmod(0o755)
        return path

    return install


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"  # a zombie no longer runs
    except FileNotFoundError:
        return True


@pytest.fixture
def wait_gone() -> Callable[[int], bool]:
    """``wait_gone(pid)``: True once the process no longer runs (waits up to 5 s)."""

    def wait(pid: int, seconds: float = 5.0) -> bool:
        deadline = time.monotonic() + seconds
        while not _gone(pid):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    return wait
