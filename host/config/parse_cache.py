"""Job file text -> syntax nodes, remembered between runs.

Loading the HCL parser (python-hcl2 and its Lark tables) takes about 90 ms, a sixth of a one-job
`bh apply`, and a job file is read again and again unchanged. A clean parse is therefore kept as
pickled nodes in the user's cache directory (`$XDG_CACHE_HOME/benchhub/jobfiles`, by default under
`~/.cache`), keyed by everything the nodes depend on: the file's name and text, the reader's source,
and python-hcl2's grammar and version. A file with errors is never cached, so its errors are
reported in full each time. A cache that cannot be read or written is skipped: it only saves time.
Pickle is fine here: the cache directory is the user's own, like the job file it stands for.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pickle
import tempfile
from pathlib import Path

from benchhub.host.config.errors import Problems
from benchhub.host.config.nodes import Block

#: Entries kept; the least recently written beyond this are removed when a new one is stored.
KEEP = 256


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "benchhub" / "jobfiles"


def parse(text: str, file: str, problems: Problems) -> Block | None:
    """Like `syntax.parse`, reusing the nodes of an earlier clean parse of the same text."""
    entry = cache_dir() / f"{_key(text, file)}.pickle"
    try:
        cached = pickle.loads(entry.read_bytes())
    except Exception:  # missing, or damaged in any way: parse again (a cache must never break bh)
        cached = None
    if isinstance(cached, Block):
        return cached
    from benchhub.host.config import syntax  # the parser loads only when the file is new or changed

    before = len(problems.errors)
    root = syntax.parse(text, file, problems)
    if root is not None and len(problems.errors) == before:
        _store(entry, root)
    return root


def _key(text: str, file: str) -> str:
    digest = hashlib.sha256()
    for part in (file.encode(), text.encode(), *_reader_sources()):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _reader_sources() -> list[bytes]:
    """What decides the nodes besides the text: our reader and node classes, and python-hcl2."""
    here = Path(__file__).parent
    sources = [here / "syntax.py", here / "nodes.py", here / "errors.py"]  # errors: `Position`
    spec = importlib.util.find_spec("hcl2")  # finds the package without importing it
    if spec is not None and spec.origin is not None:
        package = Path(spec.origin).parent
        sources += [package / "hcl2.lark", package / "version.py"]
    blobs = []
    for source in sources:
        try:
            blobs.append(source.read_bytes())
        except OSError:
            blobs.append(b"")
    return blobs


def _store(entry: Path, root: Block) -> None:
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=entry.parent, suffix=".tmp", delete=False) as out:
            out.write(pickle.dumps(root, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(out.name, entry)
        _prune(entry.parent)
    except OSError:
        pass


def _prune(directory: Path) -> None:
    entries = sorted(directory.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP:]:
        old.unlink(missing_ok=True)
