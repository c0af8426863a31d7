"""Every way a provider executable can fail gives one clear PluginError naming it (real subprocesses)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import grpc
import pytest

from benchhub.host.plugin import PluginError, ProtocolMismatchError, ProviderCallError, ProviderClient, launch
from benchhub.proto.provider.v1 import provider_pb2 as pb
from tests.conftest import InstallPlugin


def launch_fake(
    install_plugin: InstallPlugin, mode: str, **options: float
) -> tuple[Path, Callable[[], ProviderClient]]:
    path = install_plugin("fake", "fake_misbehaving_provider.py", mode)
    return path, lambda: launch("fake", path.parent, **options)


def test_not_executable(plugin_dir: Path) -> None:
    path = plugin_dir / "bh-provider-fake"
    path.write_text("#!/bin/sh\n")
    with pytest.raises(PluginError, match=r"bh-provider-fake: is not executable"):
        launch("fake")


def test_not_found(plugin_dir: Path) -> None:
    with pytest.raises(PluginError, match=r"bh-provider-nothere: not found in .bh/providers/"):
        launch("nothere")


def test_bad_handshake(install_plugin: InstallPlugin) -> None:
    path, start = launch_fake(install_plugin, "garbage")
    with pytest.raises(PluginError, match=r"printed a bad handshake: .*'Welcome to the fake provider!'") as e:
        start()
    assert str(path) in str(e.value)


def test_exit_before_handshake_shows_stderr_tail(install_plugin: InstallPlugin) -> None:
    path, start = launch_fake(install_plugin, "exit-early")
    with pytest.raises(PluginError) as e:
        start()
    assert str(e.value) == (
        f"provider {path}: exited with code 3 before its handshake; "
        "its stderr ended with: cannot read config: permission denied"
    )


def test_no_handshake_times_out(install_plugin: InstallPlugin) -> None:
    _, start = launch_fake(install_plugin, "no-handshake", handshake_timeout=0.5)
    with pytest.raises(PluginError, match=r"printed no handshake within 0.5s"):
        start()


def test_protocol_mismatch(install_plugin: InstallPlugin) -> None:
    _, start = launch_fake(install_plugin, "protocol-2")
    mismatch = r"protocol mismatch: host speaks 1, provider bh-provider-fake speaks 2"
    with pytest.raises(ProtocolMismatchError, match=mismatch):
        start()


def test_provider_speaking_1_and_2_negotiates_1(install_plugin: InstallPlugin) -> None:
    path = install_plugin("fake", "fake_misbehaving_provider.py", "protocol-1-2")
    with launch("fake", path.parent) as provider:
        assert provider.get_schema().name == "fake"


def test_crash_mid_call(install_plugin: InstallPlugin) -> None:
    path, start = launch_fake(install_plugin, "crash-mid-call")
    with start() as provider, pytest.raises(PluginError) as e:
        provider.get_schema()
    assert str(e.value) == (
        f"provider {path}: exited with code 7 during GetSchema; "
        "its stderr ended with: fatal: the fake provider lost its mind"
    )


def test_hang_mid_call(install_plugin: InstallPlugin, wait_gone: Callable[[int], bool]) -> None:
    path, start = launch_fake(install_plugin, "hang-mid-call", call_timeout=0.5)
    with start() as provider:
        assert provider.process is not None and provider.process.popen is not None
        pid = provider.process.popen.pid
        with pytest.raises(PluginError, match=rf"provider {path}: did not answer GetSchema within 0.5s"):
            provider.get_schema()
        assert wait_gone(pid)


def test_provider_errors_carry_code_reason_and_retryable(install_plugin: InstallPlugin) -> None:
    path = install_plugin("fake", "fake_misbehaving_provider.py", "errors")
    with launch("fake", path.parent) as provider:
        with pytest.raises(ProviderCallError) as e:
            provider.offer(pb.OfferRequest())
        assert e.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert e.value.reason == pb.ErrorDetail.REASON_CAPACITY
        assert e.value.retryable and e.value.metadata == {"region": "fake-1"}
        assert str(e.value) == "provider fake: Offer failed (RESOURCE_EXHAUSTED): no fake machines left"
        with pytest.raises(ProviderCallError, match=r"Release failed \(INTERNAL\): Release: KeyError: 'a-1'"):
            provider.release("a-1")


def test_output_is_forwarded_into_the_log(
    install_plugin: InstallPlugin, caplog: pytest.LogCaptureFixture
) -> None:
    path = install_plugin("fake", "fake_misbehaving_provider.py", "chatty")
    caplog.set_level(logging.DEBUG, logger="benchhub.provider")
    with launch("fake", path.parent) as provider:
        provider.get_schema()
    records = {(r.name, r.levelno, r.getMessage()) for r in caplog.records}
    assert ("benchhub.provider.fake", logging.INFO, "hello on stdout") in records
    assert ("benchhub.provider.fake", logging.WARNING, "oops on stderr") in records
    assert ("benchhub.provider.fake", logging.ERROR, "disk full device=sda") in records
