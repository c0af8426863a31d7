"""serve(): the plugin side of the wire, driven over real sockets by hand (no host client)."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from benchhub.proto.plugin import grpc_broker_pb2 as broker_pb
from benchhub.proto.plugin import grpc_broker_pb2_grpc, grpc_controller_pb2, grpc_controller_pb2_grpc
from benchhub.providers.sdk import wire
from tests.conftest import FAKE_PROVIDER, StartFakePlugin, plugin_env

WaitGone = Callable[[int], bool]


def test_refuses_to_run_without_the_magic_cookie() -> None:
    env = {k: v for k, v in plugin_env().items() if k != wire.MAGIC_COOKIE_KEY}
    command = [sys.executable, str(FAKE_PROVIDER), "errors"]
    result = subprocess.run(command, env=env, capture_output=True, timeout=30)
    assert result.returncode == 1 and result.stdout == b""
    assert b"is a BenchHub provider plugin. It is not meant to be run directly" in result.stderr


def test_handshake_on_a_private_unix_socket(start_fake_plugin: StartFakePlugin) -> None:
    _, handshake = start_fake_plugin()
    assert (handshake.core_version, handshake.app_version, handshake.network) == (1, 1, "unix")
    assert stat.S_IMODE(os.stat(os.path.dirname(handshake.address)).st_mode) == 0o700
    with grpc.insecure_channel(handshake.target()) as channel:
        response = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service="plugin"))
        assert response.status == health_pb2.HealthCheckResponse.SERVING


def test_negotiates_the_highest_common_version(start_fake_plugin: StartFakePlugin) -> None:
    assert start_fake_plugin("protocol-1-2", PLUGIN_PROTOCOL_VERSIONS="1,2")[1].app_version == 2
    assert start_fake_plugin("protocol-1-2", PLUGIN_PROTOCOL_VERSIONS="1")[1].app_version == 1
    # a plugin speaking only 2 answers 2 to a host asking for 1: the host refuses it
    assert start_fake_plugin("protocol-2", PLUGIN_PROTOCOL_VERSIONS="1")[1].app_version == 2


def test_tcp_within_the_port_range(start_fake_plugin: StartFakePlugin) -> None:
    ports = {"PLUGIN_MIN_PORT": "23100", "PLUGIN_MAX_PORT": "23199"}
    _, handshake = start_fake_plugin(BH_PLUGIN_NETWORK="tcp", **ports)
    host, port = handshake.address.rsplit(":", 1)
    assert handshake.network == "tcp" and host == "127.0.0.1" and 23100 <= int(port) <= 23199


def test_shutdown_rpc_exits_cleanly(start_fake_plugin: StartFakePlugin) -> None:
    popen, handshake = start_fake_plugin()
    with grpc.insecure_channel(handshake.target()) as channel:
        grpc_controller_pb2_grpc.GRPCControllerStub(channel).Shutdown(grpc_controller_pb2.Empty())
    assert popen.wait(10) == 0
    assert not os.path.exists(os.path.dirname(handshake.address))


def test_sigterm_exits_cleanly(start_fake_plugin: StartFakePlugin) -> None:
    popen, _ = start_fake_plugin()
    popen.send_signal(signal.SIGTERM)
    assert popen.wait(10) == 0


def test_exits_when_the_host_dies(tmp_path: Path, wait_gone: WaitGone) -> None:
    handshake = tmp_path / "handshake"
    host_program = (
        "import subprocess, sys, time\n"
        f"out = open({str(handshake)!r}, 'w')\n"
        f"p = subprocess.Popen([sys.executable, {str(FAKE_PROVIDER)!r}, 'errors'], stdout=out)\n"
        "print(p.pid, flush=True)\n"
        "time.sleep(60)"
    )
    host = subprocess.Popen([sys.executable, "-c", host_program], env=plugin_env(), stdout=subprocess.PIPE)
    assert host.stdout is not None
    plugin_pid = int(host.stdout.readline())
    deadline = time.monotonic() + 30
    while not handshake.read_text() and time.monotonic() < deadline:  # the plugin is serving
        time.sleep(0.05)
    host.kill()
    host.wait()
    assert wait_gone(plugin_pid, 10)


def test_broker_refuses_knocks(start_fake_plugin: StartFakePlugin) -> None:
    _, handshake = start_fake_plugin()
    knock = broker_pb.ConnInfo(service_id=7, knock=broker_pb.ConnInfo.Knock(knock=True))
    with grpc.insecure_channel(handshake.target()) as channel:
        replies = grpc_broker_pb2_grpc.GRPCBrokerStub(channel).StartStream(iter([knock]), timeout=10)
        reply = next(replies)
    assert reply.service_id == 7 and reply.knock.knock and not reply.knock.ack and reply.knock.error
