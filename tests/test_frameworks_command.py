from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from test_frameworks_support import run_job

from benchhub import frameworks
from benchhub.frameworks import Direction, FrameworkError


def metrics_of(samples: list[frameworks.Sample]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for s in samples:
        out.setdefault(s.metric, []).append(s.value)
    return out


def test_runs_count_times_after_warmup_and_measures_each_run(tmp_path: Path) -> None:
    (tmp_path / "counter.txt").write_text("")
    script = (
        "import json; open('counter.txt','a').write('x'); "
        "buf = bytearray(30_000_000); print('comparisons=42 speed: 7.5'); "
        "ops = {'value': 1000, 'unit': 'ops/s', 'direction': 'higher'}; "
        "json.dump({'ops': ops, 'depth': 3}, open('m.json','w'))"
    )
    attrs = {
        "command": [sys.executable, "-c", script],
        "name": "alloc",
        "count": 3,
        "warmup": 2,
        "metrics_file": "m.json",
        "regex": {"comparisons": r"comparisons=(\d+)", "speed": r"speed: ([\d.]+)"},
        "units": {"speed": "MB/s"},
        "higher_is_better": ["speed"],
    }
    assert frameworks.validate("command", attrs) == []
    job = frameworks.expand("command", attrs)
    stdout, files, code = run_job(job, tmp_path)
    assert code == 0
    assert stdout.count("comparisons=42") == 5  # the command's stdout reaches the job log
    assert (tmp_path / "counter.txt").read_text() == "xxxxx"
    samples = frameworks.parse("command", attrs, stdout, files)
    by_metric = metrics_of(samples)
    assert set(by_metric) == {"wall", "user", "sys", "peak_rss", "comparisons", "speed", "ops", "depth"}
    assert all(len(values) == 3 for values in by_metric.values())
    assert sorted({s.iteration for s in samples}) == [0, 1, 2]
    assert all(s.benchmark == "alloc" for s in samples)
    assert all(v > 30_000_000 for v in by_metric["peak_rss"])  # the 30 MB buffer, per run
    assert all(0 < v < 10 for v in by_metric["wall"])
    assert by_metric["comparisons"] == [42.0] * 3
    speed = next(s for s in samples if s.metric == "speed")
    assert (speed.unit, speed.direction) == ("MB/s", Direction.HIGHER)
    ops = next(s for s in samples if s.metric == "ops")
    assert (ops.value, ops.unit, ops.direction) == (1000.0, "ops/s", Direction.HIGHER)


def test_shell_string_command_and_display(tmp_path: Path) -> None:
    attrs = {"command": "echo hi | tr a-z A-Z", "count": 1}
    job = frameworks.expand("command", attrs)
    assert job.display.startswith("sh -c 'echo hi | tr a-z A-Z'")
    stdout, files, code = run_job(job, tmp_path)
    assert (code, stdout) == (0, "HI\n")
    assert len(frameworks.parse("command", attrs, stdout, files)) == 4


def test_failing_command_keeps_runs_before_the_failure(tmp_path: Path) -> None:
    script = "import os,sys; n=len(os.listdir('.')); open(f'f{n}','w'); sys.exit(3 if n >= 3 else 0)"
    attrs = {"command": [sys.executable, "-c", script], "count": 5}
    stdout, files, code = run_job(frameworks.expand("command", attrs), tmp_path)
    assert code == 3
    record = json.loads(files["record"].read_text())
    assert record["error"] == "command exited with 3 on run 4"
    samples = frameworks.parse("command", attrs, stdout, files)
    assert sorted({s.iteration for s in samples}) == [0, 1, 2]


def test_missing_program_is_a_clear_error(tmp_path: Path) -> None:
    attrs = {"command": ["no-such-program-bh"], "count": 2}
    stdout, files, code = run_job(frameworks.expand("command", attrs), tmp_path)
    assert code == 127
    with pytest.raises(FrameworkError, match=r"python3 not found|command not found: no-such-program-bh"):
        frameworks.parse("command", attrs, stdout, files, exit_code=code)


def test_regex_that_matches_nothing_is_an_error(tmp_path: Path) -> None:
    attrs = {"command": ["true"], "count": 1, "regex": {"x": r"x=(\d+)"}}
    stdout, files, _ = run_job(frameworks.expand("command", attrs), tmp_path)
    with pytest.raises(FrameworkError, match="regex for metric 'x' matched nothing"):
        frameworks.parse("command", attrs, stdout, files)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", r"m\.json is not valid JSON"),
        ("[1, 2]", "must hold a JSON object"),
        ('{"a": "x"}', "'x' is not"),
    ],
)
def test_bad_metrics_file(tmp_path: Path, content: str, message: str) -> None:
    command = ["sh", "-c", f"printf '%s' '{content}' > m.json"]
    attrs = {"command": command, "count": 1, "metrics_file": "m.json"}
    stdout, files, _ = run_job(frameworks.expand("command", attrs), tmp_path)
    with pytest.raises(FrameworkError, match=message):
        frameworks.parse("command", attrs, stdout, files)


def test_runner_output_never_collected() -> None:
    with pytest.raises(FrameworkError, match=r"wrote no \.bh-out/command\.json"):
        frameworks.parse("command", {"command": "true"}, "", {})
    with pytest.raises(FrameworkError, match="python3 not found on the machine"):
        frameworks.parse("command", {"command": "true"}, "", {}, exit_code=127)


def test_validation_messages() -> None:
    assert frameworks.validate("command", {}) == ['framework "command": attribute "command" is required']
    errors = frameworks.validate("command", {"command": [], "count": 0, "colour": "red", "regex": {"a": 1}})
    assert errors == [
        'framework "command": unknown attribute "colour" (known: command, count, higher_is_better, '
        "metrics_file, name, regex, units, warmup)",
        'framework "command": "command" must be a string or list of strings, got []',
        'framework "command": "count" must be at least 1, got 0',
        """framework "command": "regex" must be a map of strings, got {'a': 1}""",
    ]
    assert frameworks.validate("command", {"command": "x", "warmup": True}) == [
        'framework "command": "warmup" must be a number, got True'
    ]


def test_unknown_framework_lists_the_known_ones() -> None:
    message = 'unknown framework "jmh" (known: command, gobench, gotest, hyperfine, pytest)'
    assert frameworks.validate("jmh", {}) == [message]
    with pytest.raises(FrameworkError, match="known: command, gobench"):
        frameworks.expand("jmh", {})


def test_missing_tools_preflight() -> None:
    assert frameworks.missing_tools("command") == []
    assert frameworks.missing_tools("hyperfine") == []


def test_typed_parameters_in_a_command_list_become_text() -> None:
    attrs = {"command": ["python3", "sort.py", "merge", 2000, 0.5], "count": 1}
    assert frameworks.validate("command", attrs) == []
    job = frameworks.expand("command", attrs)
    assert json.loads(job.command[-1])["command"] == ["python3", "sort.py", "merge", "2000", "0.5"]
