"""Good job files -> the typed model: matrix expansion, interpolation, dependencies, digest, schema."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchhub.host.config import (
    Budget,
    Config,
    Input,
    Parameter,
    Placement,
    Resources,
    Source,
    check_provider_config,
    config_digest,
    dependants,
    find_cycle,
    load_config,
    parse_config,
    topological_order,
)
from benchhub.host.config.units import parse_duration, parse_money, parse_size
from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb

GOOD = Path(__file__).parent / "data" / "config" / "good.hcl"


@pytest.fixture(scope="module")
def good() -> Config:
    return load_config(GOOD)


def test_settings_and_providers(good: Config) -> None:
    assert good.settings.state_path == ".bh/state.db"
    assert good.settings.parallelism == 2
    assert good.settings.budget == Budget(20.0, "USD")
    assert sorted(good.providers) == ["docker", "local"]
    docker = good.providers["docker"]
    assert docker.config == {"host": "unix:///var/run/docker.sock"}
    assert (docker.position.line, docker.attribute_positions["host"].line) == (12, 13)


def test_local_provider_is_always_available() -> None:
    config = parse_config('job "a" {\n  command = "true"\n  provider = "local"\n}\n', "j.hcl")
    assert config.providers["local"].config == {}
    assert config.jobs[0].provider == "local"
    assert config.settings.parallelism == 4 and config.settings.budget is None


def test_matrix_expands_in_written_order_with_structured_params(good: Config) -> None:
    ids = [j.id for j in good.expansions("sort")]
    assert ids == [
        "sort[size=1000,algo=quick]",
        "sort[size=1000,algo=merge]",
        "sort[size=10000,algo=quick]",
        "sort[size=10000,algo=merge]",
    ]
    job = good.job("sort[size=10000,algo=merge]")
    assert job.name == "sort"
    assert job.params == (
        Parameter("size", 10000, "argument", ""),
        Parameter("algo", "merge", "env", "SORT_ALGO"),
        Parameter("ratio", 0.5),
        Parameter("threads", 2, "env", "THREADS"),
    )
    assert job.param("ratio") == Parameter("ratio", 0.5)
    proto = job.params[0].to_proto()
    assert (proto.name, proto.value.int_value) == ("size", 10000)
    assert proto.target == job_pb2.Parameter.TARGET_ARGUMENT
    assert job.params[2].to_proto().value.double_value == 0.5
    assert job.params[1].to_proto().key == "SORT_ALGO"


def test_params_are_interpolated_in_command_env_and_workdir(good: Config) -> None:
    job = good.job("sort[size=1000,algo=quick]")
    assert job.command == ("bin/sort", "--size", "1000", "--algo=quick")
    assert dict(job.env) == {"SORT_SEED": "42", "SORT_ALGO": "quick", "THREADS": "2"}
    assert job.workdir == "run/1000"


def test_job_attributes_are_typed(good: Config) -> None:
    build = good.job("build")
    assert build.command == ("sh", "-c", "make sort")
    assert build.source == Source("src")
    assert build.outputs == {"binary": "bin/sort"}
    assert build.timeout == 600.0
    assert build.resources == Resources()
    sort = good.job("sort[size=1000,algo=quick]")
    gib, gb = 1024**3, 1000**3
    assert sort.resources == Resources(cpu=2.0, memory_bytes=2 * gib, disk_bytes=10 * gb, arch="x86_64")
    assert sort.placement == Placement(("local", "docker"), ("local",), "prefer", 0.5)
    assert (sort.expected_duration, sort.retries, sort.exclusive) == (90.0, 1, True)
    assert sort.resources.to_proto().memory_bytes == 2 * 1024**3
    report = good.job("report")
    assert (report.when, report.provider, report.image) == ("always", "docker", "python:3.11-slim")
    assert report.framework is not None
    assert (report.framework.kind, dict(report.framework.attributes)) == (
        "command", {"command": ["python", "report.py"], "count": 3}
    )


def test_inputs_imply_their_dependency_and_a_matrix_dependency_means_all_of_it(good: Config) -> None:
    sort = good.job("sort[size=1000,algo=quick]")
    assert sort.depends_on == ("build",)
    assert sort.inputs == (Input("build", "binary", "bin/sort", sort.inputs[0].position),)
    assert (sort.inputs[0].position.line, sort.inputs[0].position.column) == (44, 18)
    assert good.job("report").depends_on == tuple(j.id for j in good.expansions("sort"))


def test_topological_order_and_dependants(good: Config) -> None:
    order = [j.id for j in topological_order(reversed(good.jobs))]
    assert order[0] == "build" and order[-1] == "report"
    assert dependants(good.jobs)["build"] == tuple(j.id for j in good.expansions("sort"))
    assert dependants(good.jobs)["report"] == ()


def test_find_cycle_names_the_cycle_from_the_first_node() -> None:
    assert find_cycle({"a": ["c"], "b": ["a"], "c": ["b"], "d": []}) == ["a", "c", "b", "a"]
    assert find_cycle({"x": ["y"], "y": ["missing"]}) is None


def test_a_single_reference_keeps_the_parameter_type_in_framework_attributes() -> None:
    text = """
job "bench" {
  params { count = [3, 5] }
  framework "gobench" {
    count = "${param.count}"
    bench = "Sort-${param.count}"
  }
}
"""
    config = parse_config(text, "b.hcl", validate_framework=None)
    framework = config.job("bench[count=5]").framework
    assert framework is not None and framework.attributes == {"count": 5, "bench": "Sort-5"}


def test_param_blocks_with_env_target_set_the_variable() -> None:
    text = """
job "db" {
  command = "run"
  param "threads" {
    values = [1, 8]
    target = "env"
    key    = "THREADS"
  }
  param "fsync" {
    value  = true
    target = "system"
    key    = "vm.dirty_ratio"
  }
}
"""
    config = parse_config(text, "p.hcl")
    job = config.job("db[threads=8]")
    assert job.env == {"THREADS": "8"}
    assert job.params == (
        Parameter("threads", 8, "env", "THREADS"),
        Parameter("fsync", True, "system", "vm.dirty_ratio"),
    )
    assert job.params[1].to_proto().value.bool_value is True


def test_strings_escapes_heredocs_and_escaped_interpolation() -> None:
    text = (
        'job "a" {\n'
        '  command = "printf \'%s\\\\n\' \\"$HOME\\" $${literal}"\n'
        "  env = {\n    SCRIPT = <<-EOT\n      echo ${param.n}\n      done\n    EOT\n  }\n"
        "  params { n = 7 }\n}\n"
    )
    job = parse_config(text, "s.hcl").jobs[0]
    assert job.command == ("sh", "-c", "printf '%s\\n' \"$HOME\" ${literal}")
    assert job.env["SCRIPT"] == "echo 7\ndone\n"
    assert job.id == "a"  # single values are no matrix


def test_source_shorthand_and_ref(tmp_path: Path) -> None:
    (tmp_path / "code").mkdir()
    job_file = tmp_path / "job.hcl"
    job_file.write_text('job "a" {\n  command = "x"\n  source = "code"\n}\njob "b" {\n  command = "x"\n'
                        '  source {\n    path = "."\n    ref = "main"\n  }\n}\n')
    config = load_config(job_file)
    assert config.job("a").source == Source("code")
    assert config.job("b").source == Source(".", "main")


def test_digest_ignores_layout_and_sees_every_value() -> None:
    text = 'job "a" {\n  command = ["run", "1"]\n  params { n = [1, 2] }\n}\n'
    relaid = '\n\n# comment\njob "a" {\n    params {\n n = [1,2]\n}\n    command = ["run","1"]\n}'
    digest = config_digest(parse_config(text, "one.hcl"))
    assert digest.startswith("sha256:") and len(digest) == 71
    assert config_digest(parse_config(relaid, "other.hcl")) == digest
    assert config_digest(parse_config(text.replace('"1"', '"2"'), "one.hcl")) != digest
    assert config_digest(parse_config(text.replace("[1, 2]", "[1.0, 2]"), "one.hcl")) != digest


def _schema(*attributes: pb.Attribute) -> pb.GetSchemaResponse:
    return pb.GetSchemaResponse(name="aws", config=list(attributes))


def test_provider_config_is_checked_against_the_schema_with_positions() -> None:
    text = (
        'provider "aws" {\n  region = "eu-west-1"\n  max_instances = "ten"\n  regoin = "x"\n'
        '  tags = {a = "b"}\n}\n'
    )
    provider = parse_config(text, "p.hcl").providers["aws"]
    schema = _schema(
        pb.Attribute(name="region", type=pb.Attribute.TYPE_STRING),
        pb.Attribute(name="max_instances", type=pb.Attribute.TYPE_NUMBER),
        pb.Attribute(name="profile", type=pb.Attribute.TYPE_STRING, required=True),
        pb.Attribute(name="tags", type=pb.Attribute.TYPE_MAP),
    )
    errors = check_provider_config(provider, schema)
    assert [str(e) for e in errors] == [
        'p.hcl:3:19: provider "aws": max_instances: expected a number, got a string',
        'p.hcl:4:12: provider "aws": unknown attribute "regoin"; did you mean "region"? '
        "(known: max_instances, profile, region, tags)",
        'p.hcl:1:1: provider "aws": attribute "profile" is required',
    ]
    fixed = parse_config('provider "aws" {\n  profile = "dev"\n  max_instances = 3\n}\n', "p.hcl")
    assert check_provider_config(fixed.providers["aws"], schema) == []


@pytest.mark.parametrize(
    ("text", "size"),
    [("2GiB", 2 * 1024**3), ("512MiB", 512 * 1024**2), ("1.5GB", 1_500_000_000), ("10G", 10 * 1024**3),
     (4096, 4096), ("100 B", 100)],
)
def test_sizes(text: object, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("10m", 600), ("1h30m", 5400), ("1.5h", 5400), ("500ms", 0.5), ("2d", 172800), (30, 30)],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "1h 30m", "ten", "-5s", True, None])
def test_bad_durations(bad: object) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(bad)


def test_money() -> None:
    assert parse_money("20 USD") == (20.0, "USD")
    assert parse_money("0.5EUR") == (0.5, "EUR")
    with pytest.raises(ValueError):
        parse_money("20 usd")


_values = st.one_of(
    st.integers(-1000, 1000), st.booleans(), st.text("abcxyz_-.", min_size=1, max_size=5),
)


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["a", "b", "c", "d"]), st.lists(_values, min_size=1, max_size=3, unique=True),
        min_size=1, max_size=3,
    )
)
def test_matrix_expansion_is_the_cartesian_product(matrix: dict[str, list[object]]) -> None:
    def hcl(value: object) -> str:
        return ("true" if value else "false") if isinstance(value, bool) else json.dumps(value)

    lines = "\n".join(f"    {k} = [{', '.join(hcl(v) for v in vs)}]" for k, vs in matrix.items())
    config = parse_config(f'job "m" {{\n  command = "x"\n  params {{\n{lines}\n  }}\n}}\n', "m.hcl")
    combinations = list(itertools.product(*matrix.values()))
    assert len(config.jobs) == len(combinations) == len({j.id for j in config.jobs})
    for job, combination in zip(config.jobs, combinations, strict=True):
        assert [(p.name, p.value) for p in job.params] == list(zip(matrix, combination, strict=True))
        assert [type(p.value) for p in job.params] == [type(v) for v in combination]
