"""Optimistic concurrency: `version` on every record, `ETag` out, `If-Match` in."""

from __future__ import annotations

import hashlib
import re

from django.db import connection

from casedesk.core.errors import BadRequest, VersionMismatch

_ETAG = re.compile(r'^\s*(?:W/)?"(\d{1,10})"\s*$')


def parse_if_match(header: str | None) -> int | None:
    """Return the version an `If-Match` header asks for; None for absent or `*`."""
    if header is None:
        return None
    header = header.strip()
    if header in {"", "*"}:
        return None
    for part in header.split(","):
        match = _ETAG.match(part)
        if match:
            return int(match.group(1))
    # A bare number is accepted too, as scripts often send it unquoted.
    if header.isdigit() and len(header) <= 10:
        return int(header)
    raise BadRequest('If-Match must be an entity tag such as "3".', details={"if_match": header})


def check_version(expected: int | None, current: int) -> None:
    """Refuse with 412 when the caller's version is not the record's current one."""
    if expected is not None and expected != current:
        raise VersionMismatch(details={"expected": expected, "current": current})


def etag(version: int) -> str:
    return f'"{version}"'


def serialize_writes(name: str) -> None:
    """Make the open transaction the only writer named `name` until it ends.

    For rules that span rows, which row locks in a fixed order would make deadlock-prone (who
    is the last administrator, which users are in which team). PostgreSQL takes a
    transaction-scoped advisory lock; SQLite needs nothing, as its IMMEDIATE transactions
    already serialise every writer.
    """
    assert connection.in_atomic_block, "serialize_writes needs an open transaction"
    if connection.vendor != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
