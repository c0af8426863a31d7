"""Builds the Go interop binaries once per session (tests/interop/build.sh) and hands out their paths.

Without a Go toolchain the interop tests skip with the reason shown; on CI (CI=true) they fail instead,
because CI must prove go-plugin compatibility.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
from goplugin import GoHostRun, StartProvider

from benchhub.providers.sdk import wire

HERE = Path(__file__).resolve().parent
BIN = HERE / "build" / "bin"
GO_TOOLS = ("go", "protoc", "protoc-gen-go")


@pytest.fixture(scope="session")
def go_bin() -> Path:
    """The directory holding bh-gohost and bh-provider-gocatalog, built and up to date."""
    missing = [tool for tool in GO_TOOLS if shutil.which(tool) is None]
    if missing:
        reason = f"Go toolchain missing ({', '.join(missing)} not on PATH): cannot build go-plugin binaries"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " — CI must install it (see tests/interop/build.sh)")
        pytest.skip(reason)
    built = subprocess.run(["bash", str(HERE / "build.sh")], capture_output=True, text=True, timeout=600)
    if built.returncode != 0:
        pytest.fail(f"tests/interop/build.sh failed:\n{built.stdout}{built.stderr}")
    return BIN


@pytest.fixture
def gocatalog_env() -> dict[str, str]:
    """The environment a host gives bh-provider-gocatalog: this one plus the magic cookie and versions."""
    return {**os.environ, **wire.host_environment()}


@pytest.fixture
def start_gocatalog(go_bin: Path) -> Iterator[StartProvider]:
    """Starts bh-provider-gocatalog by hand with `env`; returns the process and its handshake line."""
    started: list[subprocess.Popen[str]] = []

    def start(env: Mapping[str, str]) -> tuple[subprocess.Popen[str], str]:
        proc = subprocess.Popen(
            [str(go_bin / "bh-provider-gocatalog")], env=dict(env), text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        started.append(proc)
        assert proc.stdout is not None
        return proc, proc.stdout.readline().rstrip("\n")

    yield start
    for proc in started:
        proc.kill()
        proc.communicate()


@pytest.fixture
def run_gohost(go_bin: Path, tmp_path: Path) -> Callable[..., GoHostRun]:
    """Runs bh-gohost against `provider` (a name on PATH or a path) with `flags`; fails with its log."""

    def run(provider: str, *flags: str, automtls: bool, path: str | None = None) -> GoHostRun:
        mode = ["-automtls"] if automtls else []
        args = [str(go_bin / "bh-gohost"), "-provider", provider, *flags, *mode]
        env = {**os.environ, "PATH": path} if path else None
        done = subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
        assert done.returncode == 0, f"bh-gohost failed (exit {done.returncode}):\n{done.stderr}"
        return GoHostRun(json.loads(done.stdout), done.stderr)

    return run
