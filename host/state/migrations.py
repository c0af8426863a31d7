"""Ordered schema migrations of the state database.

A new database is created at the newest version straight from `schema.metadata` and stamped with
it; an older one is brought forward by applying, in order and in one transaction, every migration
newer than its recorded version. Rule for changing `schema.py`: append a `Migration` whose `apply`
turns a database at the previous version into the new shape (e.g. `ALTER TABLE ... ADD COLUMN`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, func, inspect, select

from benchhub.host.errors import BenchHubError
from benchhub.host.state import schema


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    apply: Callable[[Connection], None]


def _create_initial_tables(conn: Connection) -> None:
    schema.metadata.create_all(conn)


def _add_sample_node(conn: Connection) -> None:
    conn.exec_driver_sql("ALTER TABLE resource_samples ADD COLUMN node INTEGER NOT NULL DEFAULT 0")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", _create_initial_tables),
    Migration(2, "resource samples record their node", _add_sample_node),
)
LATEST_VERSION = MIGRATIONS[-1].version


def current_version(conn: Connection) -> int:
    """The database's schema version; 0 for an empty database."""
    if not inspect(conn).has_table(schema.schema_version.name):
        return 0
    return int(conn.execute(select(func.max(schema.schema_version.c.version))).scalar() or 0)


def migrate(conn: Connection, *, path: str) -> int:
    """Bring the database on `conn` (inside a write transaction) to `LATEST_VERSION`; returns it."""
    version = current_version(conn)
    if version > LATEST_VERSION:
        raise BenchHubError(
            f"{path}: state schema version {version} is newer than this bh understands "
            f"({LATEST_VERSION}); upgrade bh"
        )
    if version == LATEST_VERSION:
        return version
    if version == 0:
        schema.metadata.create_all(conn)
        _stamp(conn, MIGRATIONS[-1])
        return LATEST_VERSION
    for migration in MIGRATIONS:
        if migration.version > version:
            migration.apply(conn)
            _stamp(conn, migration)
    return LATEST_VERSION


def _stamp(conn: Connection, migration: Migration) -> None:
    conn.execute(
        schema.schema_version.insert().values(
            version=migration.version, applied=time.time(), description=migration.description
        )
    )
