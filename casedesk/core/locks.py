"""The lock primitives every app's `locks.py` builds on (docs/concurrency.md, "Where the locks
live"): a row locked by its key, and a named transaction-scoped advisory lock.

On PostgreSQL a row lock is `SELECT ... FOR UPDATE`; on SQLite the transaction already holds
the database's only write lock (`BEGIN IMMEDIATE`), so it locks nothing more.
"""

from __future__ import annotations

import hashlib
from typing import Any, TypeVar, cast

from django.db import connection
from django.db.models import Model, QuerySet

from casedesk.core.errors import NotFound

M = TypeVar("M", bound=Model)


def row_lock(model: type[M], missing: str, *, no_key: bool = False, **filters: Any) -> M:
    """The one row of `model` that `filters` name, locked for update until the end of the
    caller's transaction; refuse with `not_found` (`missing`, its message) when there is none.
    `no_key`: `FOR NO KEY UPDATE`, for a row others reference while it is locked (a user)."""
    rows = cast(QuerySet[M], model._default_manager.all())
    found = rows.select_for_update(no_key=no_key).filter(**filters).first()
    if found is None:
        raise NotFound(missing)
    return found


def rows_lock(queryset: QuerySet[M], *, of: tuple[str, ...] = ()) -> QuerySet[M]:
    """`queryset` locked for update as it is read (in its order: give it the lock order)."""
    return queryset.select_for_update(of=of)


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
