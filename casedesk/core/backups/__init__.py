"""Online backups of the configured database, and restores into it (docs/operations.md).

SQLite: the engine's backup API copies a consistent snapshot while writers keep going, and
copies a backup back in one transaction. PostgreSQL: `pg_dump --format=custom`; a restore
runs the archive's statements through `psql` in one transaction.

A backup never overwrites the live database or a file beside it, and leaves nothing but its
output file. A restore is refused, changing nothing, when the file is not a casedesk backup,
when its migration history is not one this version can migrate (a newer version's backup),
while a server or worker uses the database (`casedesk.core.inuse`), and without `force` when
the database holds users or cases; once it starts it is all or nothing.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from casedesk.core import inuse
from casedesk.core.backups import history, postgres, sqlite
from casedesk.core.backups.errors import BackupError

__all__ = ["BackupError", "Restored", "backup", "restore"]

_SQLITE_MAGIC = b"SQLite format 3\x00"
_PG_MAGIC = b"PGDMP"


def _settings() -> dict[str, Any]:
    return dict(connections[DEFAULT_DB_ALIAS].settings_dict)


def _sqlite_database() -> str | None:
    """The live database file, or None on PostgreSQL."""
    if connections[DEFAULT_DB_ALIAS].vendor != "sqlite":
        return None
    return str(_settings()["NAME"])


def backup(target: Path, *, overwrite: bool = False) -> int:
    """Write a consistent copy of the database to `target`; return its size in bytes.

    Refuse a target that is (or resolves to) the live database or a file beside it, whatever
    `overwrite` says; refuse an existing target unless `overwrite`. The copy is written to a
    temporary file in the target's folder and moved into place once complete and verified.
    """
    target = Path(target).expanduser().absolute()
    database = _sqlite_database()
    if database is not None and sqlite.is_live(target, database):
        raise BackupError(
            f"{target} is the live database or one of its files; write the backup elsewhere"
        )
    target = target.resolve()
    if target.is_dir():
        raise BackupError(f"{target} is a folder; give the backup file's name")
    if not target.parent.is_dir():
        raise BackupError(f"the folder {target.parent} does not exist")
    if target.exists() and not overwrite:
        raise BackupError(f"{target} exists (use --force to overwrite)")
    try:
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    except OSError as exc:
        raise BackupError(f"cannot write in {target.parent}: {exc.strerror}") from exc
    os.close(fd)
    tmp = Path(name)
    try:
        if database is not None:
            sqlite.backup(database, tmp)
        else:
            postgres.backup(tmp)
        os.replace(tmp, target)
    except OSError as exc:
        raise BackupError(f"cannot write {target}: {exc.strerror}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return target.stat().st_size


@dataclass(frozen=True)
class Restored:
    """A restore done: `pending` of this version's migrations are still to be applied."""

    pending: int


def _data_tables() -> list[str]:
    """The tables whose rows make a database worth keeping: users and cases."""
    user = apps.get_model(settings.AUTH_USER_MODEL)
    case = apps.get_model("casedesk_cases", "Case")
    return [user._meta.db_table, case._meta.db_table]


def _check_kind(source: Path, database: str | None) -> None:
    try:
        with open(source, "rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise BackupError(f"cannot read {source}: {exc.strerror}") from exc
    if database is not None and head.startswith(_PG_MAGIC):
        raise BackupError(f"{source} is a PostgreSQL backup; this casedesk runs on SQLite")
    if database is None and head.startswith(_SQLITE_MAGIC):
        raise BackupError(f"{source} is an SQLite backup; this casedesk runs on PostgreSQL")


def restore(source: Path, *, force: bool = False) -> Restored:
    """Replace the database's content with the backup at `source`, all or nothing.

    Refuse (raise `BackupError`, changing nothing) when `source` is the live database, is not
    a casedesk backup, or has a migration history this version cannot migrate; while a
    server or worker holds the database; and, unless `force`, when the database has users or
    cases.
    """
    source = Path(source).expanduser().absolute()
    database = _sqlite_database()
    if database is not None and sqlite.is_live(source, database):
        raise BackupError(f"{source} is the live database, not a backup")
    source = source.resolve()
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    _check_kind(source, database)
    connections.close_all()
    try:
        with inuse.exclusive_use():
            if database is not None:
                with sqlite.staged(source, database) as staged:
                    pending = history.pending_migrations(
                        name=str(source), applied=staged.applied, tables=staged.tables
                    )
                    _refuse_data_without_force(sqlite.has_data(database, _data_tables()), force)
                    sqlite.replace(staged.path, database)
            else:
                applied, tables = postgres.read(source)
                pending = history.pending_migrations(
                    name=str(source), applied=applied, tables=tables
                )
                _refuse_data_without_force(postgres.has_data(_data_tables()), force)
                postgres.replace(source)
    except inuse.DatabaseInUse as exc:
        raise BackupError(str(exc)) from exc
    except OSError as exc:  # the lock file or the database's folder
        raise BackupError(f"cannot use {exc.filename or 'the database'}: {exc.strerror}") from exc
    except psycopg.Error as exc:  # the restore's own connections (the tools report theirs)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BackupError(f"cannot use the database: {reason}") from exc
    return Restored(pending=pending)


def _refuse_data_without_force(has_data: bool, force: bool) -> None:
    if has_data and not force:
        raise BackupError(
            "the database holds users or cases; add --force to replace them with the backup"
        )
