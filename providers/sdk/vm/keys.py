"""The ephemeral SSH key of one allocation: made at Allocate, never reused, deleted at Release.

Keys live in a private directory (0700, one 0600 file per allocation) so a provider restarted by the host
can still reach an allocation it made; nothing else ever reads them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import asyncssh


@dataclass(frozen=True)
class EphemeralKey:
    name: str
    private_key: asyncssh.SSHKey

    @property
    def public_openssh(self) -> str:
        """The public half in OpenSSH format (`ssh-ed25519 AAAA... name`), for the cloud's key import."""
        exported: bytes = self.private_key.export_public_key("openssh")
        return exported.decode().strip()


class KeyStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, name: str) -> Path:
        return self.directory / f"{name}.pem"

    def get(self, name: str) -> EphemeralKey | None:
        try:
            return EphemeralKey(name, asyncssh.import_private_key(self._path(name).read_bytes()))
        except FileNotFoundError:
            return None

    def get_or_create(self, name: str) -> EphemeralKey:
        """The allocation's key; a new ed25519 key when it has none yet."""
        existing = self.get(name)
        if existing is not None:
            return existing
        key = asyncssh.generate_private_key("ssh-ed25519", comment=name)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self._path(name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(key.export_private_key("openssh"))
        return EphemeralKey(name, key)

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)
