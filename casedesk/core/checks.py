"""Invariants of the database itself and of the settings casedesk relies on."""

from __future__ import annotations

from collections.abc import Iterator

from django.db import connection

from casedesk.core.invariants import invariant


@invariant("database")
def database_integrity() -> Iterator[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA integrity_check")
            rows = [r[0] for r in cursor.fetchall()]
            if rows != ["ok"]:
                for row in rows:
                    yield f"integrity_check: {row}"
            cursor.execute("PRAGMA foreign_key_check")
            for table, rowid, parent, _fk in cursor.fetchall():
                yield f"foreign key: {table} row {rowid} points at a missing {parent} row"
            cursor.execute("PRAGMA journal_mode")
            mode = cursor.fetchone()[0]
            if str(mode).lower() != "wal":
                yield f"journal_mode is {mode}, expected wal"
            cursor.execute("PRAGMA foreign_keys")
            if cursor.fetchone()[0] != 1:
                yield "foreign_keys is off"
            cursor.execute("PRAGMA synchronous")
            if cursor.fetchone()[0] != 1:
                yield "synchronous is not NORMAL"
        elif connection.vendor == "postgresql":
            cursor.execute("SHOW server_encoding")
            encoding = cursor.fetchone()[0]
            if encoding.upper() not in {"UTF8", "UTF-8"}:
                yield f"server_encoding is {encoding}, expected UTF8"
            cursor.execute(
                "SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE NOT convalidated"
            )
            for table, name in cursor.fetchall():
                yield f"constraint {name} on {table} is not validated"
