"""Shared fixtures: a temp directory of provider executables on BH_PLUGIN_PATH, the fake provider
started by hand as a host would, and a private cache directory for the whole session."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from benchhub.providers.sdk import wire

PLUGINS = Path(__file__).parent / "plugins"
FAKE_PROVIDER = PLUGINS / "fake_misbehaving_provider.py"

InstallPlugin = Callable[..., Path]
Started = tuple[subprocess.Popen[bytes], wire.Handshake]
StartFakePlugin = Callable[..., Started]


@pytest.fixture(autouse=True, scope="session")
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """XDG_CACHE_HOME for every test and every `bh` they start: the user's cache stays untouched."""
    directory = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(directory))
        yield directory


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


def plugin_env(**extra: str) -> dict[str, str]:
    """The environment a host gives a plugin it launches, with `extra` added."""
    return {**os.environ, **wire.host_environment(), **extra}


@pytest.fixture
def start_fake_plugin() -> Iterator[StartFakePlugin]:
    """``start_fake_plugin(mode="errors", **env)``: starts ``tests/plugins/fake_misbehaving_provider.py``
    in `mode` by hand, as a host would, with `env` added; returns the process and its handshake.
    Every process started is killed when the test ends."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(mode: str = "errors", **env: str) -> Started:
        command = [sys.executable, str(FAKE_PROVIDER), mode]
        popen = subprocess.Popen(command, env=plugin_env(**env), stdout=subprocess.PIPE)
        processes.append(popen)
        assert popen.stdout is not None
        return popen, wire.Handshake.parse(popen.stdout.readline().decode())

    yield start
    for popen in processes:
        popen.kill()
        popen.wait()


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"  # a zombie no longer runs
    except FileNotFoundError:
        return True


@pytest.fixture
def wait_gone() -> Callable[..., bool]:
    """``wait_gone(pid, seconds=5.0)``: True once the process no longer runs (waits up to `seconds`)."""

    def wait(pid: int, seconds: float = 5.0) -> bool:
        deadline = time.monotonic() + seconds
        while not _gone(pid):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    return wait
