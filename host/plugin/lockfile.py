"""The provider lock file, ``.bh.lock.hcl``: each provider's version, protocol and executable sha256.

``bh providers lock`` records what is installed; ``bh plan``/``bh apply`` then refuse a provider whose
executable changed, the Terraform way::

    lock = Lock.load(project_dir)
    lock.verify(find(name, project_dir))            # LockMismatchError when its sha256 changed
    ...
    with launch(name, project_dir) as client:       # `bh providers lock`
        lock.record(locked_entry(found, client.get_schema()))
    lock.save()

The file looks like::

    provider "local" {
      version  = "0.2.0"
      protocol = 1
      sha256   = "9f86d0..."
    }

The sha256 is of the executable file itself; for a Python console script that is the small launcher
script, so it pins which program is run, not the installed package's code. That is why the version and
protocol a provider reports are checked too, once it started (`verify_schema`): an upgraded package
reports its new version.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchhub.host.errors import BenchHubError, ConfigError
from benchhub.host.plugin.discovery import Discovered

if TYPE_CHECKING:
    from benchhub.proto.provider.v1 import provider_pb2 as pb

LOCK_FILE = ".bh.lock.hcl"
UPDATE_HINT = "if you changed it on purpose, run `bh providers lock` to update the lock file"
HEADER = "# Written by `bh providers lock`: the providers this project was planned with. Commit it.\n\n"


class LockMismatchError(BenchHubError):
    """A provider's executable is not the one the lock file records."""


@dataclasses.dataclass(frozen=True)
class LockedProvider:
    name: str
    version: str
    protocol: int
    sha256: str


def executable_sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def locked_entry(found: Discovered, schema: pb.GetSchemaResponse) -> LockedProvider:
    """What the lock file records for a discovered provider, given the schema it reported."""
    return LockedProvider(found.name, schema.version, schema.protocol_version, executable_sha256(found.path))


class Lock:
    """The lock file of one project directory (possibly not written yet)."""

    def __init__(self, path: Path, providers: dict[str, LockedProvider] | None = None) -> None:
        self.path, self.providers = path, dict(providers or {})

    @classmethod
    def load(cls, directory: Path) -> Lock:
        """The lock file in `directory`; empty when there is none. ConfigError when it does not parse."""
        path = directory / LOCK_FILE
        try:
            text = path.read_text()
        except FileNotFoundError:
            return cls(path)
        return cls(path, _parse(text, path))

    def status(self, found: Discovered) -> str:
        """``"locked"``, ``"not locked"`` or ``"changed"`` (its sha256 differs from the lock's)."""
        locked = self.providers.get(found.name)
        if locked is None:
            return "not locked"
        return "locked" if locked.sha256 == executable_sha256(found.path) else "changed"

    def verify(self, found: Discovered) -> None:
        """Refuse a provider whose executable changed since it was locked; unlocked ones pass."""
        locked = self.providers.get(found.name)
        if locked is None:
            return
        actual = executable_sha256(found.path)
        if actual != locked.sha256:
            raise LockMismatchError(
                f"provider {found.name}: {found.path} has sha256 {actual}, but {self.path.name} locks "
                f"{locked.sha256} (version {locked.version}); {UPDATE_HINT}"
            )

    def verify_schema(self, name: str, schema: pb.GetSchemaResponse) -> None:
        """Refuse a locked provider that reports another version or protocol than the lock's."""
        locked = self.providers.get(name)
        if locked is None or (schema.version, schema.protocol_version) == (locked.version, locked.protocol):
            return
        raise LockMismatchError(
            f"provider {name}: reports version {schema.version} (protocol {schema.protocol_version}), "
            f"but {self.path.name} locks version {locked.version} (protocol {locked.protocol}); {UPDATE_HINT}"
        )

    def record(self, entry: LockedProvider) -> None:
        self.providers[entry.name] = entry

    def save(self) -> None:
        import hcl2  # here, not at the top: a project without a lock file never pays for it

        builder = hcl2.Builder()
        for entry in sorted(self.providers.values(), key=lambda e: e.name):
            builder.block(
                "provider",
                labels=[json.dumps(entry.name)],
                version=json.dumps(entry.version),
                protocol=entry.protocol,
                sha256=json.dumps(entry.sha256),
            )
        document = builder.build()  # type: ignore[no-untyped-call]
        self.path.write_text(HEADER + hcl2.dumps(document).strip() + "\n")


def _parse(text: str, path: Path) -> dict[str, LockedProvider]:
    import hcl2  # here, not at the top: a project without a lock file never pays for it
    from lark.exceptions import UnexpectedInput

    options = hcl2.SerializationOptions(strip_string_quotes=True, with_comments=False)
    try:
        document = hcl2.loads(text, serialization_options=options)
    except UnexpectedInput as e:
        problem = "not a valid lock file; delete it and run `bh providers lock`"
        raise ConfigError(problem, file=str(path), line=max(e.line, 1), column=max(e.column, 1)) from e
    providers = {}
    for block in document.get("provider", []):
        for name, body in block.items():
            providers[name] = _entry(name, body, path)
    return providers


def _entry(name: str, body: Any, path: Path) -> LockedProvider:
    try:
        return LockedProvider(name, str(body["version"]), int(body["protocol"]), str(body["sha256"]))
    except (KeyError, TypeError, ValueError) as e:
        raise ConfigError(f'provider "{name}" needs version, protocol and sha256', file=str(path)) from e
