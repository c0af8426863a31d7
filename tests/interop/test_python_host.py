"""The Python host (benchhub.host.plugin) drives bh-provider-gocatalog, a provider built on HashiCorp
go-plugin 1.0.1's plugin.Serve: discovery, handshake, health, every RPC, errors with ErrorDetail, its
hclog lines in the host log, and Shutdown."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from google.protobuf import duration_pb2

from benchhub.host.plugin import ProviderCallError, ProviderClient, launch
from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb

AUTOMTLS_ENV = "BH_PLUGIN_AUTOMTLS"


@pytest.fixture
def gocatalog(go_bin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ProviderClient]:
    """bh-provider-gocatalog, discovered on BH_PLUGIN_PATH and launched in plaintext."""
    monkeypatch.setenv("BH_PLUGIN_PATH", str(go_bin))
    monkeypatch.setenv(AUTOMTLS_ENV, "0")
    with launch("gocatalog", tmp_path) as client:
        yield client


def shell_job(
    job_id: str,
    script: str,
    timeout: float = 60,
    inputs: Sequence[job_pb2.Artifact] = (),
    outputs: Sequence[job_pb2.Output] = (),
) -> job_pb2.Job:
    seconds = duration_pb2.Duration()
    seconds.FromNanoseconds(int(timeout * 1e9))
    return job_pb2.Job(
        id=job_id, name=job_id, command=["sh", "-c", script], timeout=seconds, inputs=inputs, outputs=outputs
    )


def run_events(client: ProviderClient, allocation_id: str, job: job_pb2.Job) -> tuple[bytes, bytes, pb.Exit]:
    out, err, exits = b"", b"", []
    for event in client.run(allocation_id, job):
        if event.HasField("log"):
            if event.log.stream == pb.LogChunk.STREAM_STDERR:
                err += event.log.data
            else:
                out += event.log.data
        elif event.HasField("exit"):
            exits.append(event.exit)
    [exit_event] = exits
    return out, err, exit_event


def full_cycle(client: ProviderClient, tmp_path: Path) -> None:
    """GetSchema, Offer, Allocate (twice, one token), ListAllocations, Run with an input, Collect, Release."""
    schema = client.get_schema()
    assert (schema.name, schema.protocol_version) == ("gocatalog", 1)
    offers = client.offer(pb.OfferRequest(min_resources=job_pb2.Resources(cpu=2))).offers
    assert [o.instance_type for o in offers] == ["medium", "large"]
    assert [o.price_per_hour.amount for o in offers] == [0.048, 0.384]
    tags = {"bh-run": "interop"}
    allocation = client.allocate(offers[0].id, "token-1", tags)
    assert client.allocate(offers[0].id, "token-1", tags).id == allocation.id
    assert [a.id for a in client.list_allocations(tags)] == [allocation.id]

    source = tmp_path / "input.txt"
    source.write_text("from the host\n")
    file = job_pb2.Artifact.KIND_FILE
    inputs = [job_pb2.Artifact(name="in", kind=file, uri=source.as_uri(), path="in.txt")]
    outputs = [job_pb2.Output(name="result", glob="*.out")]
    job = shell_job("job-1", "cat in.txt; echo oops >&2; cp in.txt copy.out", inputs=inputs, outputs=outputs)
    out, err, exit_event = run_events(client, allocation.id, job)
    assert (out, err) == (b"from the host\n", b"oops\n")
    assert exit_event.status == pb.EXIT_STATUS_SUCCEEDED

    [chunk] = list(client.collect(allocation.id, job.id, job.outputs))
    assert (chunk.output, chunk.path, chunk.last) == ("result", "copy.out", True)
    assert chunk.data == b"from the host\n"
    assert chunk.sha256 == hashlib.sha256(b"from the host\n").hexdigest()

    assert client.release(allocation.id) is True
    assert client.release(allocation.id) is False
    assert client.list_allocations(tags) == []


@pytest.mark.parametrize("automtls", [False, True], ids=["plain", "mtls"])
def test_full_cycle_then_shutdown(
    go_bin: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    automtls: bool,
) -> None:
    monkeypatch.setenv("BH_PLUGIN_PATH", str(go_bin))
    monkeypatch.setenv(AUTOMTLS_ENV, "1" if automtls else "0")
    caplog.set_level(logging.DEBUG, logger="benchhub.provider.gocatalog")
    with launch("gocatalog", tmp_path) as client:
        # go-plugin's certificates are P-521, which grpcio refuses: Python's ssl carries that session.
        assert client.connection.security == ("mtls-bridged" if automtls else "plaintext")
        full_cycle(client, tmp_path)
        assert client.process is not None and client.process.popen is not None
        popen = client.process.popen
    # GRPCController.Shutdown answers UNAVAILABLE (1.0.1 stops its server inside the call); the
    # plugin then exits by itself with 0, not by the host's SIGTERM or SIGKILL.
    assert popen.returncode == 0
    with pytest.raises(ProcessLookupError):
        os.kill(popen.pid, 0)
    mtls_lines = [r for r in caplog.records if r.getMessage().startswith("configuring server automatic mTLS")]
    assert len(mtls_lines) == (1 if automtls else 0)


def test_hclog_json_lines_become_levelled_host_log_records(
    go_bin: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("BH_PLUGIN_PATH", str(go_bin))
    monkeypatch.setenv(AUTOMTLS_ENV, "0")
    caplog.set_level(logging.DEBUG, logger="benchhub.provider.gocatalog")
    with launch("gocatalog", tmp_path):
        pass
    [record] = [r for r in caplog.records if r.getMessage().startswith("plugin address")]
    assert record.levelno == logging.DEBUG and record.name == "benchhub.provider.gocatalog"
    assert "network=unix" in record.getMessage()


def test_configure_diagnostics_carry_attribute_paths(gocatalog: ProviderClient) -> None:
    assert gocatalog.configure({"price_factor": 2}) == []
    [offer] = gocatalog.offer(pb.OfferRequest(min_resources=job_pb2.Resources(cpu=8))).offers
    assert offer.price_per_hour.amount == pytest.approx(0.768)
    [diagnostic] = gocatalog.configure({"colour": "blue"})
    assert diagnostic.severity == pb.Diagnostic.SEVERITY_ERROR
    assert list(diagnostic.attribute_path) == ["colour"]


def test_offer_filters_by_region_and_resources(gocatalog: ProviderClient) -> None:
    assert gocatalog.offer(pb.OfferRequest(regions=["elsewhere"])).offers == []
    assert gocatalog.offer(pb.OfferRequest(min_resources=job_pb2.Resources(gpu=1))).offers == []
    assert len(gocatalog.offer(pb.OfferRequest(regions=["go-1"])).offers) == 3


def test_go_status_details_arrive_as_error_reasons(gocatalog: ProviderClient) -> None:
    with pytest.raises(ProviderCallError) as unknown:
        gocatalog.allocate("go-1/huge", "t", {})
    assert unknown.value.reason == pb.ErrorDetail.REASON_NOT_FOUND and not unknown.value.retryable
    for n in range(4):
        gocatalog.allocate("go-1/small", f"slot-{n}", {})
    with pytest.raises(ProviderCallError) as full:
        gocatalog.allocate("go-1/small", "slot-4", {})
    assert full.value.reason == pb.ErrorDetail.REASON_CAPACITY and full.value.retryable
    assert "no free small slot" in str(full.value)
    with pytest.raises(ProviderCallError) as released:
        list(gocatalog.run("gc-unknown", shell_job("j", "true")))
    assert released.value.reason == pb.ErrorDetail.REASON_NOT_FOUND


def test_run_reports_failure_and_timeout(gocatalog: ProviderClient) -> None:
    allocation = gocatalog.allocate("go-1/small", "t", {})
    _, _, failed = run_events(gocatalog, allocation.id, shell_job("fails", "exit 3"))
    assert (failed.status, failed.exit_code) == (pb.EXIT_STATUS_FAILED, 3)
    _, _, slow = run_events(gocatalog, allocation.id, shell_job("slow", "sleep 30", timeout=0.3))
    assert slow.status == pb.EXIT_STATUS_TIMED_OUT and slow.wall_seconds < 10
