"""Content-addressed snapshots of a job's source in `.bh/snapshots/<sha256>.tar`.

A git work tree is captured as its tracked plus untracked-not-ignored files (what `git ls-files
-co --exclude-standard` lists), a git ref straight from the object database (the work tree is not
touched), and a plain directory as all its files. `.git` and `.bh` directories are never included.
The tar is deterministic, so the same content gives the same digest whichever way it was read,
and an existing snapshot with that digest is reused.
"""

from __future__ import annotations

import os
import stat
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from benchhub.host.errors import BenchHubError
from benchhub.host.snapshot import git
from benchhub.host.snapshot.tarball import DeterministicTar, Entry, HashingWriter
from benchhub.host.state.records import Snapshot as SnapshotRecord

SNAPSHOTS_DIR = Path(".bh") / "snapshots"


class SnapshotError(BenchHubError):
    """The source of a job cannot be captured."""


@dataclass(frozen=True)
class Snapshot:
    """A captured source tree. `digest` is ``sha256:<hex>`` of the tar at `path`; git fields are
    None for a plain directory; `reused` says the same content had been captured before."""

    digest: str
    path: Path
    commit: str | None
    branch: str | None
    dirty: bool
    files: int
    size: int
    reused: bool = False

    def record(self) -> SnapshotRecord:
        """The row `State.record_snapshot` stores."""
        created = time.time()
        return SnapshotRecord(
            self.digest, self.commit, self.branch, self.dirty, str(self.path), self.size, self.files, created
        )


def take_snapshot(source: str | Path, store: str | Path, *, ref: str | None = None) -> Snapshot:
    """Capture directory `source` (or, with `ref`, that git ref's version of it) into `store`."""
    source = Path(source)
    if not source.is_dir():
        raise SnapshotError(f"source {source} is not a directory")
    in_git = git.is_work_tree(source)
    if ref is not None:
        if not in_git:
            raise SnapshotError(f"cannot snapshot ref {ref!r}: {source} is not in a git repository")
        state = git.ref_state(source, ref)
        assert state.commit is not None
        files = git.tree_files(source, state.commit)
        return _write(Path(store), state, lambda tar: _add_tree(tar, source, files))
    if in_git:
        state = git.work_tree_state(source)
        names = git.work_tree_files(source)
    else:
        state = git.GitState(None, None, False)
        names = _walk(source)
    return _write(Path(store), state, lambda tar: _add_files(tar, source, names))


def _walk(root: Path) -> list[str]:
    found = []
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = [d for d in subdirs if d not in git.EXCLUDED_DIRS]
        relative = os.path.relpath(directory, root)
        for name in files:
            found.append(name if relative == "." else f"{relative}/{name}".replace(os.sep, "/"))
        for name in subdirs:  # symlinks to directories are kept as links, not followed
            if os.path.islink(os.path.join(directory, name)):
                found.append(name if relative == "." else f"{relative}/{name}")
    return sorted(found)


def _add_files(tar: DeterministicTar, root: Path, names: Iterable[str]) -> None:
    for name in names:
        path = root / name
        try:
            info = path.lstat()
        except FileNotFoundError:  # tracked but deleted in the work tree
            continue
        if stat.S_ISLNK(info.st_mode):
            tar.add(Entry(name, link_target=os.readlink(path)), None)
        elif stat.S_ISREG(info.st_mode):
            with open(path, "rb") as content:
                executable = bool(info.st_mode & 0o111)
                tar.add(Entry(name, executable=executable, size=info.st_size), content)


def _add_tree(tar: DeterministicTar, root: Path, files: list[git.TreeFile]) -> None:
    for file, size, stream in git.read_blobs(root, files):
        if file.is_symlink:
            tar.add(Entry(file.path, link_target=stream.read(size).decode()), None)
        else:
            tar.add(Entry(file.path, executable=file.executable, size=size), stream)


def _write(store: Path, state: git.GitState, fill: Callable[[DeterministicTar], None]) -> Snapshot:
    store.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".partial-", suffix=".tar", dir=store)
    try:
        with os.fdopen(handle, "wb") as out:
            writer = HashingWriter(out)
            tar = DeterministicTar(writer)
            fill(tar)
            tar.close()
        hexdigest = writer.sha256.hexdigest()
        final = store / f"{hexdigest}.tar"
        reused = final.exists()
        if reused:
            os.unlink(temporary)
        else:
            os.chmod(temporary, 0o644)
            os.replace(temporary, final)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return Snapshot(f"sha256:{hexdigest}", final, state.commit, state.branch, state.dirty, tar.files,
                    writer.size, reused)
