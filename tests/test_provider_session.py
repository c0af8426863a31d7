"""A command's provider session: plugins start first, their handshakes overlap the host's own work."""

from __future__ import annotations

import time
from pathlib import Path

from benchhub.host.planning.providers import ProviderSession
from tests.conftest import InstallPlugin


def test_prelaunch_returns_once_the_process_runs_not_after_its_handshake(
    tmp_path: Path, install_plugin: InstallPlugin
) -> None:
    install_plugin("slow", "fake_misbehaving_provider.py", "slow-start")
    with ProviderSession(tmp_path) as session:
        began = time.monotonic()
        session.prelaunch(["slow"])
        returned = time.monotonic() - began
        session.start({"slow": {}})
        ready = time.monotonic() - began
        assert session.failed == {} and session.clients()["slow"].get_schema().name == "fake"
    assert returned < 1.0 <= 1.5 <= ready  # the 1.5 s before the handshake passed after prelaunch


def test_a_provider_that_cannot_start_is_reported_by_start(
    tmp_path: Path, install_plugin: InstallPlugin
) -> None:
    install_plugin("early", "fake_misbehaving_provider.py", "exit-early")
    with ProviderSession(tmp_path) as session:
        session.prelaunch(["early", "missing"])
        session.start({"early": {}, "missing": {}})
        assert set(session.failed) == {"early", "missing"} and not session.connected
        assert "exited with code 3" in session.failed["early"]
        assert "not found" in session.failed["missing"]
