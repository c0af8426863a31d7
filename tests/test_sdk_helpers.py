"""The SDK's provider-neutral helpers: allocation ledger, capacity pool, output collector."""

from __future__ import annotations

import hashlib
import io
import threading
import time
from pathlib import Path

import pytest

from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb
from benchhub.providers.sdk import AllocationLedger, CapacityPool, collect_outputs, file_chunks
from benchhub.providers.sdk.errors import CapacityError, InvalidError, NotFoundError

CPU = job_pb2.Resources


def request(token: str = "", **tags: str) -> pb.AllocateRequest:
    return pb.AllocateRequest(offer_id="o", idempotency_token=token, tags=tags)


def allocate(ledger: AllocationLedger[str], token: str = "", cpu: float = 1, **tags: str) -> pb.Allocation:
    with ledger.claim(request(token, **tags), CPU(cpu=cpu)) as claim:
        held = claim.existing or claim.commit(f"handle-{token}")
    return held.allocation


def test_same_token_same_allocation_and_no_double_reservation() -> None:
    ledger: AllocationLedger[str] = AllocationLedger(CPU(cpu=2))
    first = allocate(ledger, "t")
    assert allocate(ledger, "t").id == first.id and first.state == pb.Allocation.STATE_READY
    assert ledger.capacity is not None and ledger.capacity.free().cpu == 1


def test_concurrent_claims_with_one_token_make_one_allocation() -> None:
    ledger: AllocationLedger[str] = AllocationLedger(CPU(cpu=8))
    ids: list[str] = []
    threads = [threading.Thread(target=lambda: ids.append(allocate(ledger, "same").id)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 1 and len(ledger.everything()) == 1


def test_a_failed_claim_returns_its_capacity_and_forgets_the_token() -> None:
    ledger: AllocationLedger[str] = AllocationLedger(CPU(cpu=1))
    with pytest.raises(RuntimeError), ledger.claim(request("t"), CPU(cpu=1)):
        raise RuntimeError("the cloud said no")
    assert allocate(ledger, "t").id  # fits again, and is a new allocation


def test_release_is_idempotent_and_frees_capacity() -> None:
    ledger: AllocationLedger[str] = AllocationLedger(CPU(cpu=1))
    allocation = allocate(ledger, "t")
    held = ledger.release(allocation.id)
    assert held is not None and held.handle == "handle-t"
    assert held.allocation.state == pb.Allocation.STATE_RELEASED
    assert ledger.release(allocation.id) is None and ledger.release("unknown") is None
    with pytest.raises(NotFoundError):
        ledger.get(allocation.id)
    assert allocate(ledger, "t").id != allocation.id


def test_list_by_tags() -> None:
    ledger: AllocationLedger[str] = AllocationLedger()
    a = allocate(ledger, "a", run="1", job="x")
    b = allocate(ledger, "b", run="1", job="y")
    assert {x.id for x in ledger.list_by_tags({"run": "1"})} == {a.id, b.id}
    assert [x.id for x in ledger.list_by_tags({"run": "1", "job": "y"})] == [b.id]
    assert len(ledger.list_by_tags({})) == 2


def test_capacity_waits_then_refuses() -> None:
    pool = CapacityPool(CPU(cpu=2, memory_bytes=1 << 30))
    pool.acquire(CPU(cpu=1.5))
    with pytest.raises(CapacityError, match=r"no room for 1 cpu: 0.5 cpu, 1.0 GiB memory free of 2 cpu"):
        pool.acquire(CPU(cpu=1), wait_seconds=0.1)
    threading.Timer(0.2, pool.release, (CPU(cpu=1.5),)).start()
    started = time.monotonic()
    pool.acquire(CPU(cpu=1), wait_seconds=5)
    assert time.monotonic() - started >= 0.15
    with pytest.raises(InvalidError, match="more than the whole capacity"):
        pool.acquire(CPU(memory_bytes=2 << 30), wait_seconds=5)


def test_file_chunks_end_with_size_and_sha256() -> None:
    data = bytes(range(256)) * 9000  # a little over 2 chunks
    chunks = list(file_chunks("o", "f.bin", io.BytesIO(data)))
    assert len(chunks) == 3 and [c.last for c in chunks] == [False, False, True]
    assert b"".join(c.data for c in chunks) == data
    assert (chunks[-1].size, chunks[-1].sha256) == (len(data), hashlib.sha256(data).hexdigest())
    (empty,) = file_chunks("o", "e", io.BytesIO(b""))
    assert empty.last and empty.size == 0 and empty.sha256 == hashlib.sha256(b"").hexdigest()


def test_collect_outputs_by_glob_stays_inside_the_root(tmp_path: Path) -> None:
    (tmp_path / "out" / "deep").mkdir(parents=True)
    (tmp_path / "out" / "a.json").write_text("{}")
    (tmp_path / "out" / "deep" / "b.json").write_text("[]")
    (tmp_path / "secret.json").write_text("no")
    outputs = [job_pb2.Output(name="json", glob="out/**/*.json"), job_pb2.Output(name="escape", glob="../*")]
    root = tmp_path / "out" / ".."
    got = [(c.output, c.path) for c in collect_outputs(root, outputs)]
    assert got == [("json", "out/a.json"), ("json", "out/deep/b.json")]
