"""Deterministic tar archives: the same files give the same bytes, so the same digest.

Entries are sorted by path; mtime, uid, gid and owner names are fixed; modes are reduced to
0644 / 0755 (files) and 0777 (symlinks); directories are implied by the file paths.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from dataclasses import dataclass
from typing import IO, BinaryIO

FIXED_MTIME = 0
FILE_MODE, EXECUTABLE_MODE, LINK_MODE = 0o644, 0o755, 0o777


@dataclass(frozen=True)
class Entry:
    """A regular file (`content` opens it) or a symlink (`link_target`)."""

    path: str
    executable: bool = False
    size: int = 0
    link_target: str | None = None


class HashingWriter(io.RawIOBase):
    """A write-only file that hashes (sha256) what passes through to `target` and counts it."""

    def __init__(self, target: BinaryIO) -> None:
        self.target = target
        self.sha256 = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.sha256.update(data)
        self.size += len(data)
        self.target.write(data)
        return len(data)


class DeterministicTar:
    """A tar written as a stream; callers `add` entries in sorted path order (checked)."""

    def __init__(self, out: HashingWriter) -> None:
        self._tar = tarfile.open(fileobj=out, mode="w|", format=tarfile.GNU_FORMAT)  # noqa: SIM115
        self._last = ""
        self.files = 0

    def add(self, entry: Entry, content: IO[bytes] | None) -> None:
        if entry.path <= self._last and self.files:
            raise ValueError(f"tar entries out of order: {entry.path!r} after {self._last!r}")
        self._last = entry.path
        info = tarfile.TarInfo(entry.path)
        info.mtime = FIXED_MTIME
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        if entry.link_target is not None:
            info.type = tarfile.SYMTYPE
            info.linkname = entry.link_target
            info.mode = LINK_MODE
            self._tar.addfile(info)
        else:
            info.mode = EXECUTABLE_MODE if entry.executable else FILE_MODE
            info.size = entry.size
            self._tar.addfile(info, content)
        self.files += 1

    def close(self) -> None:
        self._tar.close()
