"""Finding bh-provider-<name>: .bh/providers/, then BH_PLUGIN_PATH, then beside bh, then PATH."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import pytest

from benchhub.host.plugin import discover, discovery, find


def executable(directory: Path, name: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"bh-provider-{name}"
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_project_then_plugin_path_then_installation_then_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, plugin_path, path = tmp_path / "project", tmp_path / "plugins", tmp_path / "bin"
    installed = tmp_path / "venv" / "bin"
    monkeypatch.setenv("BH_PLUGIN_PATH", str(plugin_path))
    monkeypatch.setenv("PATH", str(path))
    monkeypatch.setattr(discovery, "installation_dir", lambda: installed)
    in_project = executable(project / ".bh" / "providers", "a")
    executable(plugin_path, "a")
    in_plugin_path = executable(plugin_path, "b")
    executable(installed, "b")
    beside_bh = executable(installed, "c")
    executable(path, "c")  # e.g. a version manager's shim for the same executable
    on_path = executable(path, "d")
    (path / "not-a-provider").write_text("")

    assert find("a", project).path == in_project
    assert find("b", project).source == "BH_PLUGIN_PATH" and find("b", project).path == in_plugin_path
    assert find("c", project).source == "installation" and find("c", project).path == beside_bh
    found = discover(project)
    assert [(d.name, d.path, d.source) for d in found] == [
        ("a", in_project, "project"),
        ("b", in_plugin_path, "BH_PLUGIN_PATH"),
        ("c", beside_bh, "installation"),
        ("d", on_path, "PATH"),
    ]


def test_the_bundled_providers_are_found_beside_bh_without_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BH_PLUGIN_PATH", raising=False)
    monkeypatch.setenv("PATH", "")
    found = find("local", Path("/nonexistent-project"))
    scripts = Path(sysconfig.get_path("scripts"))
    assert (found.source, found.path) == ("installation", scripts / "bh-provider-local")
