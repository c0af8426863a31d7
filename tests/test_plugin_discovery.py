"""Finding bh-provider-<name>: .bh/providers/, then BH_PLUGIN_PATH, then PATH."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchhub.host.plugin import discover, find


def executable(directory: Path, name: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"bh-provider-{name}"
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_project_then_plugin_path_then_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project, plugin_path, path = tmp_path / "project", tmp_path / "plugins", tmp_path / "bin"
    monkeypatch.setenv("BH_PLUGIN_PATH", str(plugin_path))
    monkeypatch.setenv("PATH", str(path))
    in_project = executable(project / ".bh" / "providers", "a")
    executable(plugin_path, "a")
    in_plugin_path = executable(plugin_path, "b")
    executable(path, "b")
    on_path = executable(path, "c")
    (path / "not-a-provider").write_text("")

    assert find("a", project).path == in_project
    assert find("b", project).source == "BH_PLUGIN_PATH" and find("b", project).path == in_plugin_path
    found = discover(project)
    assert [(d.name, d.path, d.source) for d in found] == [
        ("a", in_project, "project"),
        ("b", in_plugin_path, "BH_PLUGIN_PATH"),
        ("c", on_path, "PATH"),
    ]
