"""Every kind of job-file error is reported as file:line:col, all at once, first one first."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchhub.host.config import ConfigErrors, load_config, parse_config
from benchhub.host.errors import ConfigError, UsageError

BROKEN = Path(__file__).parent / "data" / "config" / "broken"

EXPECTED: dict[str, list[tuple[int, int, str]]] = {
    "syntax.hcl": [(4, 9, "syntax error: unexpected end of line; expected a value")],
    "unclosed.hcl": [(3, 1, "syntax error: unexpected end of file; expected a value")],
    "bad_character.hcl": [(3, 13, "syntax error: unexpected '@'; expected a value")],
    "unknown_attribute.hcl": [
        (2, 3, 'unknown attribute "comand" in job "a"; did you mean "command"?'),
        (5, 5, 'unknown attribute "memroy" in resources of job "a"; did you mean "memory"?'),
    ],
    "unknown_block.hcl": [
        (1, 1, 'unknown block "jobs" in the job file; did you mean "job"?'),
        (7, 3, 'unknown block "placment" in job "b"; did you mean "placement"?'),
    ],
    "wrong_type.hcl": [
        (2, 17, 'settings: parallelism: expected a whole number >= 1, got "two" (a string)'),
        (6, 15, 'job "a": command: expected a string or a non-empty list of strings, got 42 (a number)'),
        (7, 15, 'job "a": retries: expected a whole number >= 0, got -1 (a number)'),
        (8, 15, 'job "a": exclusive: expected true or false, got "yes" (a string)'),
        (9, 15, 'job "a": when: "on_succes" is not one of "on_success", "always", "on_failure"; '
                'did you mean "on_success"?'),
        (11, 9, 'job "a": env N: expected a string, got a list'),
        (14, 12, 'placement of job "a": spot: expected true, false or "prefer", got "sometimes" (a string)'),
    ],
    "unknown_dependency.hcl": [(7, 17, 'job "test" depends on unknown job "biuld"; did you mean "build"?')],
    "cycle.hcl": [(3, 17, "dependency cycle: a -> c -> b -> a")],
    "unknown_provider.hcl": [
        (5, 14, 'job "a": provider: unknown provider "dokcer"; did you mean "docker"? '
                '(declared: docker, local; add a provider "dokcer" block)'),
        (7, 27, 'placement of job "a": providers: unknown provider "aws" '
                '(declared: docker, local; add a provider "aws" block)'),
    ],
    "bad_param.hcl": [
        (2, 33, 'job "sort": command element: unknown parameter "sise" in ${param.sise}; '
                'did you mean "size"? (this job\'s parameters: size)'),
        (2, 50, 'job "sort": command element: unsupported reference ${env.HOME}: '
                "only ${param.NAME} can be used here"),
        (4, 18, 'job "sort": env ALGO: unknown parameter "algo" in ${param.algo} '
                "(this job's parameters: size)"),
        (8, 12, 'job "sort": param none: an empty list gives no jobs'),
    ],
    "bad_units.hcl": [
        (2, 12, 'settings: budget: invalid amount "20 dollars": '
                'write an amount and a currency like "20 USD"'),
        (7, 23, 'job "a": timeout: invalid duration "10 minutes"'),
        (8, 23, 'job "a": expected_duration: invalid duration "1h30"'),
        (10, 14, 'resources of job "a": memory: invalid size "2 GX"'),
        (11, 14, 'resources of job "a": disk: invalid size "lots"'),
        (12, 14, 'resources of job "a": cpu: expected a number > 0, got 0 (a number)'),
    ],
    "bad_inputs.hcl": [
        (22, 9, 'job "run": input job.build.outputs.library: job "build" has no output "library" '
                "(its outputs: binary)"),
        (23, 9, 'job "run": input job.nope.outputs.binary: unknown job "nope"'),
        (24, 9, 'job "run": input job.matrix.outputs.log: job "matrix" is a matrix of 2 jobs; '
                "inputs must come from a single job"),
        (25, 9, 'job "run": input: expected a reference like job.build.outputs.binary, got "bin/sort"'),
    ],
    "unknown_framework.hcl": [
        (2, 13, 'job "a": framework "gobenchh": unknown framework "gobenchh"'),
        (9, 5, 'job "b": framework "gobench": "count" must be a number'),
    ],
    "duplicates.hcl": [
        (3, 3, 'attribute "command" is set twice (first at {file}:2:3)'),
        (6, 5, 'job "a" is defined twice (first at {file}:1:1)'),
        (15, 3, '"resources" is given more than once in job "b" (first at {file}:12:3)'),
        (21, 3, 'parameter "n" is defined twice (first at {file}:19:5)'),
    ],
    "expressions.hcl": [
        (3, 13, "operators are not supported in job files; write a literal value"),
        (4, 13, "function calls are not supported in job files; write a literal value"),
        (5, 13, "conditional expressions are not supported in job files; write a literal value"),
    ],
    "nothing_to_run.hcl": [(1, 1, 'job "empty" has nothing to run: set command, image or a framework block')],
    "missing_source.hcl": [(4, 12, 'source path "no/such/dir" is not a directory')],
}


def _errors(error: ConfigError) -> list[ConfigError]:
    return error.errors if isinstance(error, ConfigErrors) else [error]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_error_is_located_exactly(name: str) -> None:
    path = BROKEN / name
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    found = [(e.file, e.line, e.column, e.bare) for e in _errors(caught.value)]
    expected = [(str(path), line, col) for line, col, _ in EXPECTED[name]]
    assert [(f, line, col) for f, line, col, _ in found] == expected
    for (_, _, _, message), (_, _, expected) in zip(found, EXPECTED[name], strict=True):
        assert message.startswith(expected.replace("{file}", str(path))), message


def test_every_broken_file_is_covered() -> None:
    assert sorted(p.name for p in BROKEN.glob("*.hcl")) == sorted(EXPECTED)


def test_all_errors_are_listed_in_one_message_first_one_first() -> None:
    path = BROKEN / "wrong_type.hcl"
    with pytest.raises(ConfigErrors) as caught:
        load_config(path)
    error = caught.value
    assert isinstance(error, UsageError) and error.exit_code == 2
    assert (error.file, error.line, error.column) == (str(path), 2, 17)
    lines = str(error).splitlines()
    assert len(lines) == 7
    assert lines[0].startswith(f"{path}:2:17: settings: parallelism")
    assert lines[1].startswith(f"{path}:6:15: ")


def test_a_missing_file_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"nope\.hcl: cannot read job file: No such file or directory"):
        load_config(BROKEN / "nope.hcl")


def test_a_self_dependency_is_a_cycle() -> None:
    with pytest.raises(ConfigError, match=r"^j\.hcl:2:16: dependency cycle: a -> a$"):
        parse_config('job "a" { command = "x"\n depends_on = ["a"] }', "j.hcl")


def test_a_heredoc_reference_is_located_inside_the_heredoc() -> None:
    text = 'job "a" {\n  command = <<EOT\necho ok\n  run ${param.nope}\nEOT\n}\n'
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "h.hcl")
    assert (caught.value.line, caught.value.column) == (4, 7)


def test_provider_blocks_take_no_interpolation_or_nested_blocks() -> None:
    text = 'provider "aws" {\n  region = "${param.r}"\n  tags {\n  }\n}\n'
    with pytest.raises(ConfigErrors) as caught:
        parse_config(text, "p.hcl")
    assert [(e.line, e.column, e.bare) for e in caught.value.errors] == [
        (2, 12, 'provider "aws": region: references are not allowed here'),
        (3, 3, 'provider "aws": nested blocks are not supported; use attributes'),
    ]


def test_framework_check_hook_is_optional_and_replaceable() -> None:
    text = 'job "a" {\n  framework "x" {\n    n = 1\n  }\n}\n'
    assert parse_config(text, "f.hcl", validate_framework=None).jobs[0].framework is not None
    with pytest.raises(ConfigError, match=r'^f\.hcl:3:5: job "a": framework "x": "n" is too small$'):
        parse_config(text, "f.hcl", validate_framework=lambda kind, attrs: ['"n" is too small'])


def test_bh_style_caller_prints_one_line_per_error_and_no_traceback(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from benchhub.host.config import load_config\n"
        "from benchhub.host.errors import BenchHubError\n"
        "try:\n    load_config(sys.argv[1])\n"
        "except BenchHubError as e:\n    print(e, file=sys.stderr); sys.exit(e.exit_code)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(BROKEN / "cycle.hcl")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == f"{BROKEN / 'cycle.hcl'}:3:17: dependency cycle: a -> c -> b -> a\n"


def test_matrix_values_that_give_the_same_job_id_are_refused() -> None:
    message = r'^d\.hcl:1:1: job "a": two parameter combinations give the same job id'
    with pytest.raises(ConfigError, match=message):
        parse_config('job "a" {\n  command = "x"\n  params { n = [1, "1"] }\n}\n', "d.hcl")
