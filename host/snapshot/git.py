"""The git facts and file lists a snapshot needs, read with the git command line."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from benchhub.host.errors import BenchHubError

EXCLUDED_DIRS = frozenset({".git", ".bh"})
_SYMLINK_MODE, _EXECUTABLE_MODE, _GITLINK_MODE = "120000", "100755", "160000"


class GitError(BenchHubError):
    """A git command needed for a snapshot failed."""


def git(cwd: Path, *args: str, check: bool = True) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise GitError("git is not installed; it is needed to snapshot a git repository") from None
    if check and done.returncode != 0:
        detail = done.stderr.strip().splitlines()
        raise GitError(f"git {' '.join(args)} failed in {cwd}: {detail[-1] if detail else done.returncode}")
    return done.stdout if done.returncode == 0 else ""


def is_work_tree(path: Path) -> bool:
    return git(path, "rev-parse", "--is-inside-work-tree", check=False).strip() == "true"


@dataclass(frozen=True)
class GitState:
    commit: str | None
    branch: str | None
    dirty: bool


def work_tree_state(path: Path) -> GitState:
    """HEAD's commit and branch (None when unborn / detached) and whether `path` has changes
    (modified, staged, deleted or untracked-not-ignored files under it)."""
    commit = git(path, "rev-parse", "--verify", "-q", "HEAD", check=False).strip() or None
    branch = git(path, "symbolic-ref", "--short", "-q", "HEAD", check=False).strip() or None
    status = git(path, "status", "--porcelain", "-z", "--untracked-files=all", "--", ".")
    return GitState(commit, branch, bool(status))


def work_tree_files(path: Path) -> list[str]:
    """Tracked plus untracked-not-ignored files under `path`, relative to it, sorted."""
    listed = git(path, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", ".")
    return sorted({p for p in listed.split("\0") if p and not _excluded(p)})


def ref_state(path: Path, ref: str) -> GitState:
    commit = git(path, "rev-parse", "--verify", "-q", f"{ref}^{{commit}}", check=False).strip()
    if not commit:
        raise GitError(f'unknown git ref "{ref}" in {path}')
    full = git(path, "rev-parse", "--symbolic-full-name", ref, check=False).strip()
    branch = None
    for prefix in ("refs/heads/", "refs/remotes/"):
        if full.startswith(prefix):
            branch = full[len(prefix):]
    return GitState(commit, branch, False)


@dataclass(frozen=True)
class TreeFile:
    path: str  # relative to the snapshot's directory
    object_id: str
    mode: str

    @property
    def is_symlink(self) -> bool:
        return self.mode == _SYMLINK_MODE

    @property
    def executable(self) -> bool:
        return self.mode == _EXECUTABLE_MODE


def tree_files(path: Path, commit: str) -> list[TreeFile]:
    """The files of `commit` under `path` (which is inside the repository), sorted by path."""
    prefix = git(path, "rev-parse", "--show-prefix").strip()
    listing = git(path, "ls-tree", "-r", "-z", "--full-tree", commit, "--", prefix or ".")
    files = []
    for line in listing.split("\0"):
        if not line:
            continue
        meta, name = line.split("\t", 1)
        mode, _kind, object_id = meta.split()
        relative = name[len(prefix):]
        if mode != _GITLINK_MODE and not _excluded(relative):
            files.append(TreeFile(relative, object_id, mode))
    return sorted(files, key=lambda f: f.path)


def read_blobs(path: Path, files: list[TreeFile]) -> Iterator[tuple[TreeFile, int, IO[bytes]]]:
    """Each file with its size and a stream positioned at its content, in order, from one
    `git cat-file --batch` process. The caller reads exactly `size` bytes before the next one, so
    no file is ever held in memory whole."""
    process = subprocess.Popen(
        ["git", "cat-file", "--batch"], cwd=path, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert process.stdin is not None and process.stdout is not None
    writer = threading.Thread(target=_request, args=(process.stdin, files), daemon=True)
    writer.start()
    completed = False
    try:
        for file in files:
            header = process.stdout.readline().split()
            if len(header) != 3 or header[1] != b"blob":
                raise GitError(f"git cat-file could not read {file.path} ({file.object_id})")
            yield file, int(header[2]), process.stdout
            process.stdout.read(1)  # the newline after each object
        completed = True
    finally:
        if not completed:
            process.kill()
        process.wait()
        process.stdout.close()
        writer.join()


def _request(stdin: IO[bytes], files: list[TreeFile]) -> None:
    try:
        stdin.write(b"".join(f.object_id.encode() + b"\n" for f in files))
        stdin.close()
    except OSError:  # git stopped early (the reader gave up): nothing more to ask
        pass


def _excluded(relative: str) -> bool:
    return any(part in EXCLUDED_DIRS for part in relative.split("/"))
