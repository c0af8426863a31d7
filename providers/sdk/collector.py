"""Streaming collected files to the host as CollectChunk messages, each file ending with its sha256.

Provider-neutral: `collect_outputs` walks a local directory (the local provider's workdir, or a
directory a remote provider copied results into); `file_chunks` streams any open binary file.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb

CHUNK_BYTES = 1 << 20


def file_chunks(output: str, path: str, source: BinaryIO, mode: int = 0o644) -> Iterator[pb.CollectChunk]:
    """One file as chunks; the last has `last`, the total `size` and the hex `sha256` (an empty file: one)."""
    digest, size = hashlib.sha256(), 0
    data = source.read(CHUNK_BYTES)
    while True:
        following = source.read(CHUNK_BYTES) if data else b""
        digest.update(data)
        size += len(data)
        if following:
            yield pb.CollectChunk(output=output, path=path, data=data, mode=mode)
            data = following
            continue
        yield pb.CollectChunk(
            output=output, path=path, data=data, last=True, size=size, sha256=digest.hexdigest(), mode=mode
        )
        return


def matching_files(root: Path, glob: str) -> list[Path]:
    """Regular files under `root` matching `glob` (``**`` allowed), sorted; never a path outside `root`."""
    base = root.resolve()
    found = []
    for candidate in root.glob(glob):
        resolved = candidate.resolve()
        if candidate.is_file() and resolved.is_relative_to(base):
            found.append(candidate)
    return sorted(found)


def collect_outputs(root: Path, outputs: Sequence[job_pb2.Output]) -> Iterator[pb.CollectChunk]:
    """Every file matching each Output's glob under `root`, streamed in order (a file once per output)."""
    for output in outputs:
        for found in matching_files(root, output.glob):
            with found.open("rb") as source:
                mode = os.fstat(source.fileno()).st_mode & 0o7777
                yield from file_chunks(output.name, found.relative_to(root).as_posix(), source, mode)
