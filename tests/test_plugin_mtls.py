"""AutoMTLS between the host and SDK plugins (real subprocesses, real TLS), and reattaching.

go-plugin's own P-521 certificates are exercised by a P-521 host identity here (the plugin then
terminates TLS with Python's ssl module) and by the real Go binaries in tests/interop/.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from benchhub.host.plugin import PluginError, ProtocolMismatchError, launch, launch_executable
from benchhub.host.plugin.connection import UnhealthyError, check_health, connect
from benchhub.proto.job.v1 import job_pb2
from benchhub.providers.sdk import mtls, wire
from tests.conftest import InstallPlugin, StartFakePlugin


def healthy(handshake: wire.Handshake, identity: mtls.Identity | None) -> bool:
    connection = connect(handshake, identity)
    try:
        check_health(connection.channel, timeout=3)
        return True
    except UnhealthyError:
        return False
    finally:
        connection.close()


@pytest.mark.parametrize("curve", [ec.SECP256R1(), ec.SECP521R1()], ids=["grpcio-tls", "ssl-bridge"])
def test_only_the_host_certificate_is_accepted(
    start_fake_plugin: StartFakePlugin, curve: ec.EllipticCurve
) -> None:
    host = mtls.make_identity(curve)
    _, handshake = start_fake_plugin(PLUGIN_CLIENT_CERT=host.cert_pem.decode())
    assert handshake.cert_der is not None
    assert healthy(handshake, host)
    assert not healthy(handshake, mtls.make_identity(curve))  # a stranger's certificate
    plaintext = wire.Handshake(1, 1, handshake.network, handshake.address)
    assert not healthy(plaintext, None)


def test_plaintext_when_the_host_sends_no_certificate(start_fake_plugin: StartFakePlugin) -> None:
    _, handshake = start_fake_plugin()
    assert handshake.cert_der is None and healthy(handshake, None)


@pytest.mark.parametrize(("automtls", "security"), [(None, "mtls"), ("0", "plaintext")])
def test_automtls_is_the_default(
    install_plugin: InstallPlugin, monkeypatch: pytest.MonkeyPatch, automtls: str | None, security: str
) -> None:
    if automtls is not None:
        monkeypatch.setenv("BH_PLUGIN_AUTOMTLS", automtls)
    path = install_plugin("fake", "fake_misbehaving_provider.py", "errors")
    with launch("fake", path.parent) as provider:
        assert provider.get_schema().name == "fake"
        assert provider.connection.security == security


def test_host_with_a_p521_certificate_runs_the_local_provider(install_plugin: InstallPlugin) -> None:
    path = install_plugin("local", "-m", "benchhub.providers.local.main")
    with launch_executable(str(path), "local", identity=mtls.make_identity(ec.SECP521R1())) as provider:
        assert provider.connection.security == "mtls"  # the plugin bridges; the host's grpcio is fine
        allocation = provider.allocate("local", "t", {}, None)
        job = job_pb2.Job(id="echo", command=["echo", "through the bridge"])
        job_events = list(provider.run(allocation.id, job))
        assert b"".join(e.log.data for e in job_events if e.HasField("log")) == b"through the bridge\n"
        assert provider.release(allocation.id)


def test_reattach_uses_a_running_provider_and_never_stops_it(
    start_fake_plugin: StartFakePlugin, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    host = mtls.make_identity()
    (tmp_path / "host.pem").write_bytes(host.cert_pem)
    (tmp_path / "host.key").write_bytes(host.key_pem)
    popen, handshake = start_fake_plugin(PLUGIN_CLIENT_CERT=host.cert_pem.decode())
    assert handshake.cert_der is not None
    entry = {
        "network": handshake.network,
        "address": handshake.address,
        "protocol_version": 1,
        "cert": base64.b64encode(handshake.cert_der).decode().rstrip("="),
        "client_cert": str(tmp_path / "host.pem"),
        "client_key": str(tmp_path / "host.key"),
    }
    monkeypatch.setenv("BH_REATTACH_PROVIDERS", json.dumps({"debugged": entry}))
    with launch("debugged", tmp_path) as provider:
        assert provider.get_schema().name == "fake"
    assert popen.poll() is None  # still running
    with launch("debugged", tmp_path) as provider:  # and usable again
        assert provider.get_schema().name == "fake"

    monkeypatch.setenv("BH_REATTACH_PROVIDERS", json.dumps({"debugged": {**entry, "protocol_version": 2}}))
    mismatch = "protocol mismatch: host speaks 1, provider debugged speaks 2"
    with pytest.raises(ProtocolMismatchError, match=mismatch):
        launch("debugged", tmp_path)
    monkeypatch.setenv("BH_REATTACH_PROVIDERS", json.dumps({"debugged": {**entry, "address": "/nowhere"}}))
    unreachable = r"BH_REATTACH_PROVIDERS\[debugged\] at /nowhere: health check failed"
    with pytest.raises(PluginError, match=unreachable):
        launch("debugged", tmp_path)
