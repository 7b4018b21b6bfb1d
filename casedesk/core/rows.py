"""Set-wise updates: a statement for many rows.

Writing many records at once (the case-write pipeline's batch, routing a chunk of cases)
changes the same few columns of many rows (the cases' version and modification time, the
moved queue items). Django's `bulk_update` builds a CASE expression per
row and field; this takes the values in memory, converts them as Django's `get_db_prep_save`
would (`casedesk.core.bulk.db_value_converter`, which inserts use too) and writes them on
SQLite with one `executemany` (one compiled statement, stepped per row), on PostgreSQL, where
psycopg binds on the client and each statement is parsed and planned, with one
`UPDATE ... FROM (VALUES ...)` per batch. Inserts go through `casedesk.core.bulk`. Used inside
the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper

from casedesk.core.bulk import db_value_converter

_BATCH = 500  # rows per statement on PostgreSQL


def _fields(model: type[models.Model], names: Sequence[str]) -> list[models.Field[Any, Any]]:
    """The concrete fields by name or attribute name (`owner_user` or `owner_user_id`)."""
    by_name = {key: f for f in model._meta.concrete_fields for key in (f.name, f.attname)}
    unknown = [name for name in names if name not in by_name]
    assert not unknown, f"{model._meta.label} has no columns {unknown}"
    return [by_name[name] for name in names]


def _prepared(db: BaseDatabaseWrapper, fields: Any, rows: Sequence[Any]) -> list[list[Any]]:
    convert = [db_value_converter(f, db) for f in fields]
    return [[c(v) for c, v in zip(convert, row, strict=True)] for row in rows]


def _values_list(db: BaseDatabaseWrapper, fields: Any, count: int) -> str:
    """`(%s::type, ...), (%s, ...), ...`: the first row typed, so that NULLs and text take the
    columns' types."""
    first = ", ".join(f"%s::{f.cast_db_type(db)}" for f in fields)
    other = ", ".join(["%s"] * len(fields))
    return ", ".join([f"({first})"] + [f"({other})"] * (count - 1))


def rows_update(
    model: type[models.Model], objects: Sequence[models.Model], fields: Sequence[str]
) -> None:
    """UPDATE `fields` of each of the saved `objects` to its value in memory, by primary key.
    The caller locked the rows (or holds SQLite's write lock) and read them in its transaction,
    so the values in memory are the rows' values plus the caller's changes."""
    if not objects:
        return
    db = connections[DEFAULT_DB_ALIAS]
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    targets = _fields(model, fields)
    names = [pk.attname] + [f.attname for f in targets]
    values = _prepared(db, [pk, *targets], [[getattr(o, n) for n in names] for o in objects])
    quote = db.ops.quote_name
    table = quote(meta.db_table)
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            columns = ", ".join(quote(f.column) for f in [pk, *targets])
            assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in targets)
            key = quote(pk.column)
            for start in range(0, len(values), _BATCH):
                batch = values[start : start + _BATCH]
                rows = _values_list(db, [pk, *targets], len(batch))
                cursor.execute(
                    f"UPDATE {table} SET {assignments} FROM (VALUES {rows}) AS v ({columns}) "
                    f"WHERE {table}.{key} = v.{key}",
                    [v for row in batch for v in row],
                )
        else:
            assignments = ", ".join(f"{quote(f.column)} = %s" for f in targets)
            cursor.executemany(
                f"UPDATE {table} SET {assignments} WHERE {quote(pk.column)} = %s",
                [row[1:] + row[:1] for row in values],
            )
