"""Snapshots of real temporary git repositories and plain directories."""

from __future__ import annotations

import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from benchhub.host.snapshot import GitError, Snapshot, SnapshotError, take_snapshot
from benchhub.host.state import State


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.invalid", *args],
        cwd=repo, capture_output=True, text=True, check=True, env=env,
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main: a.txt, run.sh (executable), sub/b.txt, link -> a.txt, .gitignore (*.log);
    feature: a.txt changed, c.txt added. Checked out: main."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "a.txt").write_text("alpha\n")
    (root / "run.sh").write_text("#!/bin/sh\necho run\n")
    (root / "run.sh").chmod(0o755)
    (root / "sub").mkdir()
    (root / "sub" / "b.txt").write_text("beta\n")
    (root / "link").symlink_to("a.txt")
    (root / ".gitignore").write_text("*.log\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "main")
    git(root, "checkout", "-q", "-b", "feature")
    (root / "a.txt").write_text("alpha on feature\n")
    (root / "c.txt").write_text("gamma\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "feature")
    git(root, "checkout", "-q", "main")
    return root


def members(snapshot: Snapshot) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(snapshot.path) as tar:
        return {m.name: m for m in tar.getmembers()}


def content(snapshot: Snapshot, name: str) -> str:
    with tarfile.open(snapshot.path) as tar:
        extracted = tar.extractfile(name)
        assert extracted is not None
        return extracted.read().decode()


def test_a_clean_work_tree_is_its_tracked_files_with_git_facts(repo: Path, tmp_path: Path) -> None:
    snap = take_snapshot(repo, tmp_path / "store")
    assert (snap.commit, snap.branch, snap.dirty) == (git(repo, "rev-parse", "main"), "main", False)
    entries = members(snap)
    assert list(entries) == [".gitignore", "a.txt", "link", "run.sh", "sub/b.txt"]
    assert snap.files == 5 and snap.size == snap.path.stat().st_size
    assert snap.path == tmp_path / "store" / f"{snap.digest.removeprefix('sha256:')}.tar"
    assert entries["link"].issym() and entries["link"].linkname == "a.txt"
    assert entries["run.sh"].mode == 0o755 and entries["a.txt"].mode == 0o644
    assert {(m.mtime, m.uid, m.gid, m.uname) for m in entries.values()} == {(0, 0, 0, "")}


def test_untracked_files_count_ignored_ones_and_state_dirs_do_not(repo: Path, tmp_path: Path) -> None:
    (repo / "new.txt").write_text("new\n")
    (repo / "debug.log").write_text("ignored\n")
    (repo / ".bh" / "snapshots").mkdir(parents=True)
    (repo / ".bh" / "state.db").write_text("state\n")
    snap = take_snapshot(repo, repo / ".bh" / "snapshots")
    assert snap.dirty is True
    assert "new.txt" in members(snap)
    assert "debug.log" not in members(snap)
    assert not any(name.startswith(".bh") for name in members(snap))


def test_modified_and_deleted_files_make_it_dirty(repo: Path, tmp_path: Path) -> None:
    (repo / "sub" / "b.txt").unlink()
    (repo / "a.txt").write_text("edited\n")
    snap = take_snapshot(repo, tmp_path / "store")
    assert snap.dirty is True
    assert "sub/b.txt" not in members(snap)
    assert content(snap, "a.txt") == "edited\n"


def test_same_content_same_digest_and_the_file_is_reused(repo: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    first = take_snapshot(repo, store)
    again = take_snapshot(repo, store)
    assert (again.digest, again.path, first.reused, again.reused) == (first.digest, first.path, False, True)
    assert sorted(p.name for p in store.iterdir()) == [first.path.name]  # no partial files left
    (repo / "a.txt").write_text("changed\n")
    changed = take_snapshot(repo, store)
    assert changed.digest != first.digest and changed.path.exists() and first.path.exists()


def test_a_ref_is_captured_without_touching_the_work_tree(repo: Path, tmp_path: Path) -> None:
    (repo / "a.txt").write_text("uncommitted\n")
    snap = take_snapshot(repo, tmp_path / "store", ref="feature")
    assert (snap.commit, snap.branch, snap.dirty) == (git(repo, "rev-parse", "feature"), "feature", False)
    assert list(members(snap)) == [".gitignore", "a.txt", "c.txt", "link", "run.sh", "sub/b.txt"]
    assert content(snap, "a.txt") == "alpha on feature\n"
    assert members(snap)["run.sh"].mode == 0o755 and members(snap)["link"].linkname == "a.txt"
    assert (repo / "a.txt").read_text() == "uncommitted\n"
    assert git(repo, "symbolic-ref", "--short", "HEAD") == "main"
    assert not (repo / "c.txt").exists()


def test_a_ref_and_the_clean_work_tree_of_it_have_the_same_digest(repo: Path, tmp_path: Path) -> None:
    from_tree = take_snapshot(repo, tmp_path / "store")
    from_ref = take_snapshot(repo, tmp_path / "store", ref="main")
    assert from_ref.digest == from_tree.digest and from_ref.reused
    by_commit = take_snapshot(repo, tmp_path / "store", ref=git(repo, "rev-parse", "feature"))
    by_branch = take_snapshot(repo, tmp_path / "other", ref="feature")
    assert by_commit.branch is None and by_commit.digest == by_branch.digest


def test_a_subdirectory_is_snapshotted_relative_to_itself(repo: Path, tmp_path: Path) -> None:
    (repo / "sub" / "extra.txt").write_text("x\n")
    tree = take_snapshot(repo / "sub", tmp_path / "store")
    assert list(members(tree)) == ["b.txt", "extra.txt"] and tree.dirty
    ref = take_snapshot(repo / "sub", tmp_path / "store", ref="main")
    assert list(members(ref)) == ["b.txt"] and not ref.dirty


def test_a_plain_directory_has_every_file_and_no_git_facts(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    (root / "d" / ".git").mkdir(parents=True)
    (root / "d" / ".git" / "HEAD").write_text("x")
    (root / "d" / "f.txt").write_text("f\n")
    (root / "top.txt").write_text("t\n")
    (root / "dirlink").symlink_to("d")
    snap = take_snapshot(root, tmp_path / "store")
    assert (snap.commit, snap.branch, snap.dirty) == (None, None, False)
    assert list(members(snap)) == ["d/f.txt", "dirlink", "top.txt"]
    assert members(snap)["dirlink"].issym()


def test_thousands_of_files(tmp_path: Path) -> None:
    root = tmp_path / "many"
    for d in range(30):
        (root / f"d{d:02}").mkdir(parents=True)
        for f in range(100):
            (root / f"d{d:02}" / f"f{f:03}.txt").write_text(f"{d}/{f}\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "many")
    tree = take_snapshot(root, tmp_path / "store")
    ref = take_snapshot(root, tmp_path / "store", ref="HEAD")
    assert tree.files == ref.files == 3000
    assert tree.digest == ref.digest


def test_errors_are_clear(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(GitError, match='unknown git ref "nope"'):
        take_snapshot(repo, tmp_path / "store", ref="nope")
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(SnapshotError, match="is not in a git repository"):
        take_snapshot(plain, tmp_path / "store", ref="main")
    with pytest.raises(SnapshotError, match="is not a directory"):
        take_snapshot(tmp_path / "missing", tmp_path / "store")


def test_a_snapshot_is_recorded_in_state(repo: Path, tmp_path: Path) -> None:
    snap = take_snapshot(repo, tmp_path / "store")
    with State(tmp_path / "state.db") as state:
        state.record_snapshot(snap.record())
        stored = state.snapshot(snap.digest)
    assert stored is not None
    assert (stored.commit, stored.branch, stored.dirty, stored.files, stored.size, stored.path) == (
        snap.commit, "main", False, 5, snap.size, str(snap.path)
    )


def test_large_binary_files_come_out_byte_for_byte(repo: Path, tmp_path: Path) -> None:
    blob = os.urandom(3 * 1024 * 1024 + 7)
    (repo / "data.bin").write_bytes(blob)
    git(repo, "add", "data.bin")
    git(repo, "commit", "-q", "-m", "data")
    store = tmp_path / "store"
    for snap in (take_snapshot(repo, store, ref="main"), take_snapshot(repo, store)):
        with tarfile.open(snap.path) as tar:
            extracted = tar.extractfile("data.bin")
            assert extracted is not None and extracted.read() == blob
            assert tar.getnames() == [".gitignore", "a.txt", "data.bin", "link", "run.sh", "sub/b.txt"]
