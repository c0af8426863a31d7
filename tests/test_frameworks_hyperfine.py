from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_frameworks_support import DATA, run_job

from benchhub import frameworks
from benchhub.frameworks import FrameworkError

needs_hyperfine = pytest.mark.skipif(shutil.which("hyperfine") is None, reason="hyperfine is not installed")


@needs_hyperfine
def test_real_hyperfine_export(tmp_path: Path) -> None:
    attrs = {"commands": ["true", "sleep 0.01"], "names": ["nothing", "nap"], "runs": 4, "warmup": 1}
    assert frameworks.validate("hyperfine", attrs) == []
    stdout, files, code = run_job(frameworks.expand("hyperfine", attrs), tmp_path)
    assert code == 0, stdout
    samples = frameworks.parse("hyperfine", attrs, stdout, files)
    expected = [(b, i) for b in ("nothing", "nap") for i in range(4)]
    assert [(s.benchmark, s.iteration) for s in samples] == expected
    naps = [s.value for s in samples if s.benchmark == "nap"]
    assert all(0.009 < v < 1 for v in naps)
    assert {(s.metric, s.unit) for s in samples} == {("wall", "s")}


@needs_hyperfine
def test_real_hyperfine_without_shell(tmp_path: Path) -> None:
    attrs = {"commands": ["true"], "runs": 2, "shell": False}
    stdout, files, code = run_job(frameworks.expand("hyperfine", attrs), tmp_path)
    assert code == 0, stdout
    assert [s.benchmark for s in frameworks.parse("hyperfine", attrs, stdout, files)] == ["true", "true"]


def test_stored_parameter_scan_and_broken_export() -> None:
    files = {"export": DATA / "hyperfine_parameter_scan.json"}
    samples = frameworks.parse("hyperfine", {"commands": ["x"]}, "", files)
    assert [(s.benchmark, s.value) for s in samples] == [
        ("sleep 0.01", 0.0110), ("sleep 0.01", 0.0112), ("sleep 0.01", 0.0115), ("sleep 0.02", 0.0213),
    ]
    with pytest.raises(FrameworkError, match="not hyperfine JSON: KeyError"):
        frameworks.parse("hyperfine", {}, "", {"export": DATA / "hyperfine_no_times.json"})
    with pytest.raises(FrameworkError, match="hyperfine not found on the machine"):
        frameworks.parse("hyperfine", {}, "sh: hyperfine: not found", {}, exit_code=127)


def test_names_must_match_commands() -> None:
    assert frameworks.validate("hyperfine", {"commands": ["a", "b"], "names": ["x"]}) == [
        'framework "hyperfine": "names" needs one name per command (2)'
    ]
