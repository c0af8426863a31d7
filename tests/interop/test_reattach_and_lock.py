"""A go-plugin provider started by hand is reattached (plain and AutoMTLS) and never stopped by the
host; the lock file pins the Go executable."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from goplugin import StartProvider

from benchhub.host.plugin import launch
from benchhub.proto.provider.v1 import provider_pb2 as pb
from benchhub.providers.sdk import mtls, wire

JOB_FILE = """
provider "gocatalog" {}

job "hello" {
  provider = "gocatalog"
  command  = "true"
}
"""


def reattach_entry(line: str) -> dict[str, object]:
    handshake = wire.Handshake.parse(line)
    entry: dict[str, object] = {
        "network": handshake.network, "address": handshake.address, "protocol_version": handshake.app_version,
    }
    if handshake.cert_der is not None:
        entry["cert"] = line.split("|")[5]
    return entry


@pytest.mark.parametrize("automtls", [False, True], ids=["plain", "mtls"])
def test_reattached_go_provider_is_used_and_left_running(
    start_gocatalog: StartProvider,
    gocatalog_env: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    automtls: bool,
) -> None:
    entry: dict[str, object] = {}
    env = dict(gocatalog_env)
    if automtls:
        identity = mtls.make_identity()
        (tmp_path / "host.pem").write_bytes(identity.cert_pem)
        (tmp_path / "host.key").write_bytes(identity.key_pem)
        env[wire.CLIENT_CERT_ENV] = identity.cert_pem.decode()
        entry = {"client_cert": str(tmp_path / "host.pem"), "client_key": str(tmp_path / "host.key")}
    proc, line = start_gocatalog(env)
    entry.update(reattach_entry(line))
    assert ("cert" in entry) == automtls
    monkeypatch.setenv("BH_REATTACH_PROVIDERS", json.dumps({"gocatalog": entry}))
    monkeypatch.setenv("BH_PLUGIN_PATH", str(tmp_path / "nowhere"))  # never launched: not even findable

    for _ in range(2):  # the second host finds it as the first one left it
        with launch("gocatalog", tmp_path) as client:
            assert client.connection.security == ("mtls-bridged" if automtls else "plaintext")
            assert client.get_schema().name == "gocatalog"
            allocation = client.allocate("go-1/small", "reattach", {"by": "hand"})
        assert proc.poll() is None
    with launch("gocatalog", tmp_path) as client:
        assert [a.id for a in client.list_allocations({"by": "hand"})] == [allocation.id]
        assert client.release(allocation.id) is True
        assert client.offer(pb.OfferRequest()).offers
    assert proc.poll() is None


def bh(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BH_PLUGIN_AUTOMTLS": "0"}
    return subprocess.run([sys.executable, "-m", "benchhub.host.cli", *args],
                          cwd=project, env=env, capture_output=True, text=True, timeout=120)


def test_lock_file_pins_the_go_executable(go_bin: Path, tmp_path: Path) -> None:
    providers = tmp_path / ".bh" / "providers"
    providers.mkdir(parents=True)
    executable = providers / "bh-provider-gocatalog"
    shutil.copy2(go_bin / "bh-provider-gocatalog", executable)
    (tmp_path / "job.hcl").write_text(JOB_FILE)

    locked = bh(tmp_path, "providers", "lock", "job.hcl")
    assert locked.returncode == 0, locked.stderr
    lock = (tmp_path / ".bh.lock.hcl").read_text()
    assert 'provider "gocatalog"' in lock and "1.0.0" in lock
    assert bh(tmp_path, "plan", "job.hcl").returncode == 0

    with executable.open("ab") as binary:  # still a working ELF, but not the locked one
        binary.write(b"\0")
    refused = bh(tmp_path, "plan", "job.hcl")
    assert refused.returncode != 0
    assert "provider gocatalog" in refused.stderr and "bh providers lock" in refused.stderr
