"""The committed generated stubs match what scripts/gen-proto makes from the .proto files."""

from __future__ import annotations

import filecmp
import subprocess
from pathlib import Path

ROOT = Path(__file__).parent.parent


def generated_files(directory: Path) -> set[Path]:
    """The stubs and their type stubs (not the bytecode Python may have cached beside them)."""
    return {p.relative_to(directory) for p in directory.rglob("*_pb2*.py*") if p.suffix in (".py", ".pyi")}


def test_generated_stubs_are_fresh(tmp_path: Path) -> None:
    subprocess.run([str(ROOT / "scripts" / "gen-proto"), str(tmp_path)], check=True, timeout=120)
    fresh, committed = generated_files(tmp_path), generated_files(ROOT / "proto")
    assert fresh == committed, "run scripts/gen-proto: the set of generated files changed"
    proto = ROOT / "proto"
    stale = [str(p) for p in sorted(fresh) if not filecmp.cmp(tmp_path / p, proto / p, shallow=False)]
    assert not stale, f"stale generated stubs (run scripts/gen-proto): {', '.join(stale)}"
