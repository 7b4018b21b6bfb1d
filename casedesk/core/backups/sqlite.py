"""Backups and restores of an SQLite database file, with SQLite's online backup API."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db.backends.sqlite3._functions import register as register_functions

from casedesk.core.backups.errors import BackupError
from casedesk.core.inuse import lock_path

# Files SQLite and casedesk keep beside the database; all of them belong to the live database.
COMPANIONS = ("-wal", "-shm", "-journal", "-writelock")
# Seconds a copy waits for SQLite's write lock (the settings' busy timeout).
TIMEOUT = 20


def live_files(database: str) -> list[Path]:
    """The database file and the files beside it that belong to it."""
    return [Path(database), *(Path(database + s) for s in COMPANIONS), lock_path(database)]


def is_live(path: Path, database: str) -> bool:
    """Whether `path` is, or resolves to (symbolic links, `..`, a hard link), the live database
    or one of the files beside it."""
    resolved = path.resolve()
    live = [p.resolve() for p in live_files(database)]
    if resolved in live:
        return True
    try:
        st = os.stat(resolved)
    except OSError:
        return False
    for p in live:
        with contextlib.suppress(OSError):
            other = os.stat(p)
            if (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
                return True
    return False


def _connect(path: Path | str, timeout: float = 5) -> sqlite3.Connection:
    """A connection with the SQL functions Django's connections have: the schema's CHECK
    constraints call some (REGEXP), and an integrity check evaluates them."""
    conn = sqlite3.connect(path, timeout=timeout)
    register_functions(conn)
    return conn


def _remove(path: Path) -> None:
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def backup(database: str, tmp: Path) -> None:
    """Write a consistent copy of `database` to the file `tmp`, verified, and one file alone."""
    source = sqlite3.connect(database, timeout=TIMEOUT)
    dest = _connect(tmp)
    try:
        source.backup(dest, pages=4096)
        # The copy's header says WAL, as the live database's does; a copy read in WAL mode
        # leaves -wal and -shm files beside it. A rollback-journal database is one file.
        dest.execute("PRAGMA journal_mode=DELETE")
        verdict = dest.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.Error as exc:
        raise BackupError(f"the backup failed: {exc}") from exc
    finally:
        dest.close()
        source.close()
        for suffix in ("-journal", "-wal", "-shm"):
            Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    if verdict != "ok":
        raise BackupError("the backup failed: the copy does not pass SQLite's integrity check")


@dataclass(frozen=True)
class Staged:
    """A verified copy of a backup beside the live database, and what it holds."""

    path: Path
    applied: set[tuple[str, str]]
    tables: set[str]


@contextlib.contextmanager
def staged(source: Path, database: str) -> Iterator[Staged]:
    """Copy the backup `source` beside the live database and read it; the copy is removed
    when the block ends. The operator's file is only read, never opened by SQLite."""
    folder = Path(database).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=folder, prefix=f".{Path(database).name}.restore-")
    except OSError as exc:
        raise BackupError(f"cannot write in {folder}: {exc.strerror}") from exc
    os.close(fd)
    staging = Path(name)
    try:
        try:
            shutil.copyfile(source, staging)
        except OSError as exc:
            raise BackupError(f"cannot copy {source} beside the database: {exc.strerror}") from exc
        conn = _connect(staging)
        try:
            conn.execute("PRAGMA journal_mode=DELETE")
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{source} is damaged: it fails SQLite's integrity check")
            tables = {
                row[0]
                for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            applied: set[tuple[str, str]] = set()
            if "django_migrations" in tables:
                applied = {
                    (str(app), str(migration))
                    for app, migration in conn.execute("SELECT app, name FROM django_migrations")
                }
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source} is not a casedesk backup: {exc}") from exc
        finally:
            conn.close()
        yield Staged(path=staging, applied=applied, tables=tables)
    finally:
        _remove(staging)


def has_data(database: str, tables: list[str]) -> bool:
    """Whether any of `tables` holds a row in the live database (a damaged file counts)."""
    if not Path(database).exists() or Path(database).stat().st_size == 0:
        return False
    conn = sqlite3.connect(database, timeout=TIMEOUT)
    try:
        present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return any(
            conn.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}")').fetchone()[0]
            for table in tables
            if table in present
        )
    except sqlite3.DatabaseError:
        return True
    finally:
        conn.close()


def replace(staging: Path, database: str) -> None:
    """Replace the live database's content with the staged copy's, in one SQLite transaction:
    if it fails, the live database is as it was. Connections other processes keep open see
    the new content; none of them writes into a file that is gone."""
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(staging)
    dest = sqlite3.connect(database, timeout=TIMEOUT)
    try:
        size = dest.execute("PRAGMA page_size").fetchone()[0]
        mode = dest.execute("PRAGMA journal_mode").fetchone()[0]
        if mode == "wal" and src.execute("PRAGMA page_size").fetchone()[0] != size:
            # SQLite copies into a database in WAL mode only between equal page sizes.
            src.execute(f"PRAGMA page_size = {int(size)}")
            src.execute("VACUUM")
        src.backup(dest)
    except sqlite3.Error as exc:
        raise BackupError(f"the restore failed and changed nothing: {exc}") from exc
    finally:
        src.close()
        dest.close()
