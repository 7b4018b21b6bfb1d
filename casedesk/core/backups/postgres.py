"""Backups and restores of a PostgreSQL database with `pg_dump`, `pg_restore` and `psql`."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import IO, Any

from django.db import DEFAULT_DB_ALIAS, connections

from casedesk.core.backups.errors import BackupError
from casedesk.core.inuse import connect_postgres

# Before the backup's own statements, in the same transaction: drop every table, view and
# sequence of the schema, so that nothing of the replaced database (tables of a later
# migration, say) is left beside the backup's.
DROP_EVERYTHING = b"""
DO $casedesk$
DECLARE r record;
BEGIN
  FOR r IN
    SELECT c.relkind, quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
      AND NOT EXISTS (
        SELECT 1 FROM pg_depend d
        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('e', 'a', 'i')
      )
  LOOP
    EXECUTE format('DROP %s IF EXISTS %s CASCADE',
      CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
        WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
      r.name);
  END LOOP;
END
$casedesk$;
"""

_TABLE_ENTRY = re.compile(r"^\d+; \d+ \d+ TABLE (\S+) (\S+) ")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed; see docs/operations.md")
    return path


def _settings() -> dict[str, Any]:
    return dict(connections[DEFAULT_DB_ALIAS].settings_dict)


def _connection_args() -> tuple[list[str], dict[str, str]]:
    db = _settings()
    env = dict(os.environ)
    env["PGAPPNAME"] = "casedesk restore"
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


def _message(stderr: str, fallback: str) -> str:
    """The line of a tool's error output that says what went wrong, without the tool's prefix."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if "ERROR:" in line:
            return line.split("ERROR:", 1)[1].strip()
    for line in lines:
        if "error:" in line:
            return line.split("error:", 1)[1].strip()
    return lines[0] if lines else fallback


def backup(tmp: Path) -> None:
    """Write a `pg_dump --format=custom` archive of the database to the file `tmp`."""
    pg_dump = _tool("pg_dump")
    args, env = _connection_args()
    done = subprocess.run(
        [pg_dump, "--format=custom", "--file", str(tmp), *args, str(_settings()["NAME"])],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BackupError(f"the backup failed: {_message(done.stderr, 'pg_dump failed')}")


def read(source: Path) -> tuple[set[tuple[str, str]], set[str]]:
    """The migration history and the table names of the archive `source`, read from the file
    alone (the database is not touched)."""
    pg_restore = _tool("pg_restore")
    listing = subprocess.run(
        [pg_restore, "--list", str(source)], capture_output=True, text=True, errors="replace"
    )
    if listing.returncode != 0:
        reason = _message(listing.stderr, "pg_restore cannot read it")
        raise BackupError(f"{source} is not a casedesk backup: {reason}")
    tables = set()
    for line in listing.stdout.splitlines():
        match = _TABLE_ENTRY.match(line)
        if match and match.group(1) == "public":
            tables.add(match.group(2))
    applied: set[tuple[str, str]] = set()
    if "django_migrations" in tables:
        data = subprocess.run(
            [pg_restore, "--data-only", "--table=django_migrations", "--file=-", str(source)],
            capture_output=True,
            text=True,
            errors="replace",
        )
        if data.returncode != 0:
            reason = _message(data.stderr, "pg_restore cannot read it")
            raise BackupError(f"{source} is damaged: {reason}")
        applied = _copied_migrations(data.stdout)
    return applied, tables


def _copied_migrations(script: str) -> set[tuple[str, str]]:
    """The (app, name) rows of the `COPY ... django_migrations` block of a restore script."""
    rows: set[tuple[str, str]] = set()
    columns: list[str] | None = None
    for line in script.splitlines():
        if columns is None:
            match = re.match(r"^COPY \S*django_migrations \(([^)]*)\) FROM stdin;$", line)
            if match:
                columns = [c.strip() for c in match.group(1).split(",")]
            continue
        if line == "\\.":
            break
        values = dict(zip(columns, line.split("\t"), strict=False))
        if "app" in values and "name" in values:
            rows.add((values["app"], values["name"]))
    return rows


def has_data(tables: list[str]) -> bool:
    """Whether any of `tables` holds a row in the database."""
    with contextlib.closing(connect_postgres("casedesk restore")) as conn:
        for table in tables:
            (exists,) = conn.execute("SELECT to_regclass(%s) IS NOT NULL", [table]).fetchone()
            if exists:
                (rows,) = conn.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}")').fetchone()
                if rows:
                    return True
    return False


def replace(source: Path) -> None:
    """Replace the database's content with the archive's, in one transaction: psql runs the
    archive's statements after `BEGIN` and a drop of the schema's tables, and is sent
    `COMMIT` only once pg_restore has written the whole archive. Any error rolls back."""
    pg_restore = _tool("pg_restore")
    psql = _tool("psql")
    args, env = _connection_args()
    database = str(_settings()["NAME"])
    with tempfile.TemporaryFile() as dump_err, tempfile.TemporaryFile() as psql_err:
        dump = subprocess.Popen(
            [pg_restore, "--clean", "--if-exists", "--no-owner", "--file=-", str(source)],
            stdout=subprocess.PIPE,
            stderr=dump_err,
        )
        run = subprocess.Popen(
            [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", *args, "--dbname", database],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=psql_err,
            env=env,
        )
        assert dump.stdout is not None and run.stdin is not None
        stopped = False
        try:
            run.stdin.write(b"BEGIN;\n" + DROP_EVERYTHING)
            shutil.copyfileobj(dump.stdout, run.stdin, 1 << 16)
            if dump.wait() == 0:
                run.stdin.write(b"COMMIT;\n")
        except BrokenPipeError:  # psql stopped at an error: the transaction is rolled back
            stopped = True
            dump.kill()
        finally:
            with contextlib.suppress(BrokenPipeError):
                run.stdin.close()
            dump.stdout.close()
            run.wait()
            dump.wait()
        if run.returncode != 0:
            raise BackupError(
                "the restore failed and changed nothing: "
                + _message(_text(psql_err), "psql failed")
            )
        if dump.returncode != 0 and not stopped:
            raise BackupError(
                f"the restore failed and changed nothing: cannot read {source}: "
                + _message(_text(dump_err), "pg_restore failed")
            )


def _text(handle: IO[bytes]) -> str:
    handle.seek(0)
    return handle.read().decode("utf-8", "replace")
