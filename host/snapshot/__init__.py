"""Code snapshots: `take_snapshot(source_dir, ".bh/snapshots", ref=None) -> Snapshot`."""

from benchhub.host.snapshot.git import GitError
from benchhub.host.snapshot.snapshot import SNAPSHOTS_DIR, Snapshot, SnapshotError, take_snapshot

__all__ = ["SNAPSHOTS_DIR", "GitError", "Snapshot", "SnapshotError", "take_snapshot"]
