"""The provider lock file: written from real providers, read back, and refusing changed executables."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from benchhub.host.errors import ConfigError
from benchhub.host.planning.providers import ProviderSession
from benchhub.host.plugin import find, launch
from benchhub.host.plugin.lockfile import LOCK_FILE, Lock, LockMismatchError, locked_entry
from tests.conftest import InstallPlugin


def test_lock_records_version_protocol_and_checksum(install_plugin: InstallPlugin, tmp_path: Path) -> None:
    install_plugin("local", "-m", "benchhub.providers.local.main")
    found = find("local", tmp_path)
    lock = Lock.load(tmp_path)
    assert lock.status(found) == "not locked"
    with launch("local", tmp_path) as client:
        lock.record(locked_entry(found, client.get_schema()))
    lock.save()

    text = (tmp_path / LOCK_FILE).read_text()
    assert 'provider "local" {' in text and "protocol = 1" in text
    reloaded = Lock.load(tmp_path)
    assert reloaded.providers == lock.providers
    assert reloaded.status(found) == "locked"
    reloaded.verify(found)

    with found.path.open("a") as executable:
        executable.write("# upgraded\n")
    assert Lock.load(tmp_path).status(found) == "changed"
    with pytest.raises(LockMismatchError) as e:
        Lock.load(tmp_path).verify(found)
    message = str(e.value)
    assert message.startswith(f"provider local: {found.path} has sha256 ")
    assert message.endswith("run `bh providers lock` to update the lock file")


def test_a_broken_lock_file_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / LOCK_FILE).write_text('provider "local" {\n  version = \n}\n')
    with pytest.raises(ConfigError, match=r"\.bh\.lock\.hcl:2:13: not a valid lock file"):
        Lock.load(tmp_path)
    (tmp_path / LOCK_FILE).write_text('provider "local" {\n  version = "1"\n}\n')
    with pytest.raises(ConfigError, match='provider "local" needs version, protocol and sha256'):
        Lock.load(tmp_path)


def test_a_provider_reporting_another_version_than_locked_is_refused(
    install_plugin: InstallPlugin, tmp_path: Path
) -> None:
    """A pip upgrade of a Python provider keeps its launcher (and its sha256): the reported version
    still tells it apart."""
    install_plugin("local", "-m", "benchhub.providers.local.main")
    found = find("local", tmp_path)
    with launch("local", tmp_path) as client:
        entry = locked_entry(found, client.get_schema())
    lock = Lock.load(tmp_path)
    lock.record(dataclasses.replace(entry, version="0.0.1"))  # what was installed when it was locked
    lock.save()
    with ProviderSession(tmp_path) as session:
        with pytest.raises(LockMismatchError) as e:
            session.start({"local": {}})
        assert not session.connected
    assert str(e.value) == (
        f"provider local: reports version {entry.version} (protocol 1), but {LOCK_FILE} locks version 0.0.1"
        " (protocol 1); if you changed it on purpose, run `bh providers lock` to update the lock file"
    )
