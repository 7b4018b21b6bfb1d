"""Online backups and restores of the configured database.

SQLite: the engine's backup API copies a consistent snapshot while writers keep going.
PostgreSQL: `pg_dump --format=custom` and `pg_restore --clean` (docs/operations.md).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.conf import settings
from django.db import connections


class BackupError(Exception):
    pass


def _db() -> dict[str, object]:
    return dict(settings.DATABASES["default"])


def _is_sqlite() -> bool:
    return connections["default"].vendor == "sqlite"


def _pg_env() -> tuple[list[str], dict[str, str]]:
    db = _db()
    env = dict(os.environ)
    args = [
        "--host",
        str(db.get("HOST") or "127.0.0.1"),
        "--port",
        str(db.get("PORT") or 5432),
        "--username",
        str(db.get("USER") or "postgres"),
    ]
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _check_sqlite_file(path: Path) -> None:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{path} is damaged (integrity check failed)")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a casedesk backup: {exc}") from exc
    if "django_migrations" not in tables or "casedesk_cases_case" not in tables:
        raise BackupError(f"{path} is not a casedesk backup")


def backup(target: Path) -> int:
    """Write a consistent copy of the database to `target`; return its size in bytes."""
    if _is_sqlite():
        source = sqlite3.connect(str(_db()["NAME"]), timeout=20)
        tmp = target.with_name(target.name + ".partial")
        tmp.unlink(missing_ok=True)
        dest = sqlite3.connect(str(tmp))
        try:
            source.backup(dest, pages=4096)
        finally:
            dest.close()
            source.close()
        _check_sqlite_file(tmp)
        os.replace(tmp, target)
        return target.stat().st_size
    if shutil.which("pg_dump") is None:
        raise BackupError("pg_dump is not installed; see docs/operations.md")
    args, env = _pg_env()
    done = subprocess.run(
        ["pg_dump", "--format=custom", "--file", str(target), *args, str(_db()["NAME"])],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BackupError(done.stderr.strip().splitlines()[-1] if done.stderr else "pg_dump failed")
    return target.stat().st_size


def restore(source: Path) -> None:
    """Replace the database's content with the backup at `source`, in one step."""
    connections.close_all()
    if _is_sqlite():
        _check_sqlite_file(source)
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dest = sqlite3.connect(str(_db()["NAME"]), timeout=20)
        try:
            src.backup(dest)
        finally:
            src.close()
            dest.close()
        return
    if shutil.which("pg_restore") is None:
        raise BackupError("pg_restore is not installed; see docs/operations.md")
    args, env = _pg_env()
    done = subprocess.run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--no-owner",
            *args,
            "--dbname",
            str(_db()["NAME"]),
            str(source),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BackupError(
            done.stderr.strip().splitlines()[-1] if done.stderr else "pg_restore failed"
        )
