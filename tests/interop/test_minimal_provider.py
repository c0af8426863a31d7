"""docs/examples/bh-provider-minimal, the provider authors' example, works under both hosts."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from goplugin import GoHostRun

from benchhub.host.plugin import ProviderCallError, launch
from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def test_is_under_sixty_lines() -> None:
    assert len((EXAMPLES / "bh-provider-minimal").read_text().splitlines()) < 60


def test_python_host_runs_a_job_on_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BH_PLUGIN_PATH", str(EXAMPLES))
    with launch("minimal", tmp_path) as provider:
        assert provider.get_schema().name == "minimal"
        assert provider.configure({}) == []
        [offer] = provider.offer(pb.OfferRequest()).offers
        allocation = provider.allocate(offer.id, "token", {"run": "r1"})
        assert provider.allocate(offer.id, "token", {"run": "r1"}).id == allocation.id
        assert [a.id for a in provider.list_allocations({"run": "r1"})] == [allocation.id]
        job = job_pb2.Job(
            id="j1", command=["sh", "-c", "echo $GREETING; echo 42 > answer.txt"], env={"GREETING": "hi"},
            outputs=[job_pb2.Output(name="answer", glob="*.txt")],
        )
        events = list(provider.run(allocation.id, job))
        assert b"".join(e.log.data for e in events if e.HasField("log")) == b"hi\n"
        assert events[-1].exit.status == pb.EXIT_STATUS_SUCCEEDED
        [chunk] = provider.collect(allocation.id, job.id, job.outputs)
        assert (chunk.path, chunk.data) == ("answer.txt", b"42\n")
        assert chunk.sha256 == hashlib.sha256(b"42\n").hexdigest()
        assert provider.release(allocation.id) is True
        assert provider.release(allocation.id) is False
        with pytest.raises(ProviderCallError) as unknown:
            provider.allocate("elsewhere", "other", {})
        assert unknown.value.reason == pb.ErrorDetail.REASON_NOT_FOUND


def test_go_plugin_host_drives_it(run_gohost: Callable[..., GoHostRun]) -> None:
    path = f"{EXAMPLES}{os.pathsep}{os.environ['PATH']}"
    run = run_gohost("bh-provider-minimal", automtls=False, path=path)
    run.check_full_cycle()
    assert run.summary["schema_name"] == "minimal"


def test_docs_show_it_verbatim() -> None:
    example = (EXAMPLES / "bh-provider-minimal").read_text()
    assert f"```python\n{example}```" in (EXAMPLES.parent / "providers.md").read_text()
