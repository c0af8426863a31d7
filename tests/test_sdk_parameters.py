"""Job parameters applied by target, as every provider applies them (providers/sdk/parameters)."""

from __future__ import annotations

from typing import TypeAlias

import pytest

from benchhub.proto.job.v1 import job_pb2
from benchhub.providers.sdk.errors import InvalidError
from benchhub.providers.sdk.parameters import apply_parameters, environment, value_text

Target = job_pb2.Parameter.Target


def job_with(*parameters: job_pb2.Parameter) -> job_pb2.Job:
    return job_pb2.Job(command=["bench"], env={"BASE": "1"}, parameters=parameters)


TargetValue: TypeAlias = job_pb2.Parameter.Target.ValueType


def param(name: str, value: job_pb2.Value, target: TargetValue, key: str = "") -> job_pb2.Parameter:
    return job_pb2.Parameter(name=name, value=value, target=target, key=key)


def test_values_read_as_the_host_writes_them() -> None:
    assert [value_text(v) for v in (
        job_pb2.Value(string_value="a b"), job_pb2.Value(int_value=-3), job_pb2.Value(double_value=0.5),
        job_pb2.Value(bool_value=True), job_pb2.Value(bool_value=False), job_pb2.Value(),
    )] == ["a b", "-3", "0.5", "true", "false", ""]


def test_each_target_lands_in_its_place() -> None:
    job = job_with(
        param("n", job_pb2.Value(int_value=3), Target.TARGET_ARGUMENT, "--n"),
        param("fast", job_pb2.Value(bool_value=True), Target.TARGET_ARGUMENT),
        param("MODE", job_pb2.Value(string_value="quick"), Target.TARGET_ENV),
        param("threads", job_pb2.Value(int_value=4), Target.TARGET_ENV, "OMP_NUM_THREADS"),
        param("swappiness", job_pb2.Value(int_value=10), Target.TARGET_SYSTEM, "vm.swappiness"),
        param("size", job_pb2.Value(string_value="size = 64\n"), Target.TARGET_CONFIG_FILE, "conf/app.toml"),
        param("only_substituted", job_pb2.Value(int_value=1), Target.TARGET_UNSPECIFIED),
    )
    applied = apply_parameters(job, "test")
    assert applied.argv == ["bench", "--n", "3", "true"]
    assert applied.env == {"BASE": "1", "MODE": "quick", "OMP_NUM_THREADS": "4"}
    assert applied.system == {"vm.swappiness": "10"}
    assert applied.config_files == {"conf/app.toml": "size = 64\n"}
    assert environment(job) == applied.env
    assert list(job.command) == ["bench"]  # the job itself is left as it was


@pytest.mark.parametrize(
    ("accepts", "refused", "wording"),
    [
        ((Target.TARGET_ARGUMENT, Target.TARGET_ENV, Target.TARGET_SYSTEM), Target.TARGET_CONFIG_FILE,
         "arguments, env vars or system settings, not as config files"),
        ((Target.TARGET_ENV,), Target.TARGET_ARGUMENT, "env vars, not as arguments"),
    ],
)
def test_a_target_the_provider_does_not_accept_is_refused_by_name(
    accepts: tuple[TargetValue, ...], refused: TargetValue, wording: str
) -> None:
    job = job_with(param("p", job_pb2.Value(int_value=1), refused, "k"))
    with pytest.raises(InvalidError) as e:
        apply_parameters(job, "docker", accepts)
    assert e.value.message == f"parameter 'p': the docker provider applies parameters as {wording}"


def test_config_file_paths_are_normalised_relative_paths() -> None:
    job = job_with(
        param("a", job_pb2.Value(string_value="1"), Target.TARGET_CONFIG_FILE, "./conf//a.ini"),
        param("b", job_pb2.Value(string_value="2"), Target.TARGET_CONFIG_FILE, "conf/x/../b.ini"),
        param("c.ini", job_pb2.Value(string_value="3"), Target.TARGET_CONFIG_FILE),
    )
    assert apply_parameters(job, "test").config_files == {"conf/a.ini": "1", "conf/b.ini": "2", "c.ini": "3"}


@pytest.mark.parametrize("path", ["../x.ini", "conf/../../x.ini", "/etc/x.ini", ".", "conf/.."])
def test_a_config_file_outside_the_working_dir_is_refused_for_every_provider(path: str) -> None:
    job = job_with(param("p", job_pb2.Value(string_value="x"), Target.TARGET_CONFIG_FILE, path))
    with pytest.raises(InvalidError) as e:
        apply_parameters(job, "any")
    assert e.value.message == (
        f"parameter 'p': config file {path!r} must be a relative path inside the job's working directory"
    )
