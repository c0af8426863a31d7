"""Job files read again unchanged reuse their parsed nodes: no HCL parser, same result, same errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchhub.host.config import load_config, parse_cache
from benchhub.host.errors import ConfigError

JOB = 'job "hello" {\n  command = ["echo", "${param.who}"]\n  params {\n    who = ["a", "b"]\n  }\n}\n'


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "benchhub" / "jobfiles"


def load_in_fresh_interpreter(job: Path, cache_home: Path) -> tuple[str, bool]:
    """The loaded config's repr, and whether the HCL parser was imported to get it."""
    code = (
        "import sys\nfrom benchhub.host.config import load_config\n"
        f"config = load_config({str(job)!r}, validate_framework=None)\n"
        "print(repr(config.jobs))\nprint('hcl2' in sys.modules)"
    )
    env = {"XDG_CACHE_HOME": str(cache_home), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    jobs, parser_loaded = done.stdout.splitlines()
    return jobs, parser_loaded == "True"


def test_second_read_skips_the_parser_and_gives_the_same_config(tmp_path: Path, cache: Path) -> None:
    job = tmp_path / "job.hcl"
    job.write_text(JOB)
    first, parsed_first = load_in_fresh_interpreter(job, cache.parent.parent)
    assert parsed_first and len(list(cache.glob("*.pickle"))) == 1
    second, parsed_second = load_in_fresh_interpreter(job, cache.parent.parent)
    assert (second, parsed_second) == (first, False)

    job.write_text(JOB.replace('"a", "b"', '"a", "c"'))  # changed text: parsed again, its own entry
    third, parsed_third = load_in_fresh_interpreter(job, cache.parent.parent)
    assert parsed_third and "'c'" in third and len(list(cache.glob("*.pickle"))) == 2


def test_a_file_with_errors_is_not_cached_and_reports_them_every_time(tmp_path: Path, cache: Path) -> None:
    job = tmp_path / "bad.hcl"
    job.write_text('job "x" {\n  command = upper("x")\n}\n')  # parses, but the reader reports an error
    for _ in range(2):
        with pytest.raises(ConfigError, match=r"bad.hcl:2:13: function calls are not supported"):
            load_config(job, validate_framework=None)
    assert not list(cache.glob("*.pickle"))


def test_a_damaged_entry_is_parsed_again_and_replaced(tmp_path: Path, cache: Path) -> None:
    job = tmp_path / "job.hcl"
    job.write_text(JOB)
    expected = load_config(job, validate_framework=None)
    (entry,) = cache.glob("*.pickle")
    entry.write_bytes(b"not a pickle")
    assert load_config(job, validate_framework=None) == expected
    assert entry.read_bytes() != b"not a pickle"


def test_an_unwritable_cache_only_costs_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # a file: the cache directory cannot exist
    job = tmp_path / "job.hcl"
    job.write_text(JOB)
    assert [j.id for j in load_config(job, validate_framework=None).jobs] == ["hello[who=a]", "hello[who=b]"]


def test_old_entries_are_pruned(tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse_cache, "KEEP", 2)
    for n in range(4):
        job = tmp_path / f"job{n}.hcl"
        job.write_text(JOB)
        load_config(job, validate_framework=None)
    assert len(list(cache.glob("*.pickle"))) == 2
