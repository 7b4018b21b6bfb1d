"""Set-wise inserts: many rows of one model in one statement, at the engine's own pace.

`executemany` on SQLite, `COPY ... FROM STDIN` on PostgreSQL. Values are turned into what the
engine stores once per field kind (UUIDs as hex text and datetimes as UTC text on SQLite,
JSON as text on both), not through a model instance and `get_db_prep_save` per value: for a
bulk import that conversion costs more than the insert itself. Model `save()`, signals and
per-row validation do not run: the caller validated the rows. Used inside the caller's
transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.db import connection
from django.db.models import Field, Model

Convert = Callable[[Any], Any]


def _uuid_hex(value: Any) -> Any:
    return None if value is None else value.hex


def _json_text(value: Any) -> str:
    return json.dumps(value)  # what Django's JSONField stores (its encoder is the default)


def _utc_text(value: Any) -> Any:
    # Django's SQLite backend stores aware datetimes as naive UTC `str(datetime)`.
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return str(value)


def _kind(field: Field[Any, Any]) -> str:
    target = getattr(field, "target_field", None)
    return str((target if field.is_relation and target is not None else field).get_internal_type())


def _converter(field: Field[Any, Any]) -> Convert | None:
    kind = _kind(field)
    if kind == "JSONField":
        return _json_text
    if connection.vendor != "sqlite":
        return None  # psycopg sends UUIDs, aware datetimes and booleans as they are
    if kind == "UUIDField":
        return _uuid_hex
    if kind == "DateTimeField":
        if connection.timezone_name != "UTC":  # pragma: no cover - casedesk runs in UTC
            ops = connection.ops
            return lambda v: ops.adapt_datetimefield_value(v)
        return _utc_text
    return None


class BulkInsert:
    """Insert rows of `model` given as tuples in the order of `fields` (attribute names, such
    as `customer_account_id`). Every other concrete field but an auto-increment key gets its
    model default."""

    def __init__(self, model: type[Model], fields: Sequence[str]) -> None:
        meta = model._meta
        by_attname = {f.attname: f for f in meta.concrete_fields}
        unknown = [name for name in fields if name not in by_attname]
        if unknown:
            raise ValueError(f"{meta.label} has no fields {unknown}")
        self.fields = [by_attname[name] for name in fields]
        self.defaults: list[Field[Any, Any]] = []
        for field in meta.concrete_fields:
            if field.attname in fields or (field.primary_key and _is_auto(field)):
                continue
            if not field.has_default() and not field.null:
                raise ValueError(f"{meta.label}.{field.attname} has no default: name it")
            self.defaults.append(field)
        columns = [f.column for f in self.fields + self.defaults]
        self.width = len(columns)
        self.table = connection.ops.quote_name(meta.db_table)
        self.columns = ", ".join(connection.ops.quote_name(c) for c in columns)
        self.conversions = [
            (i, conv)
            for i, conv in enumerate(_converter(f) for f in self.fields + self.defaults)
            if conv is not None
        ]
        constant = all(not callable(f.default) for f in self.defaults)
        self.constant_defaults = tuple(f.get_default() for f in self.defaults) if constant else None

    def prepare(self, rows: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
        """The rows as the engine takes them, one at a time."""
        conversions = self.conversions
        constant = self.constant_defaults
        if not conversions and constant == ():
            yield from rows
            return
        for row in rows:
            if constant is not None:
                values = [*row, *constant]
            else:
                values = [*row, *(f.get_default() for f in self.defaults)]
            for i, conv in conversions:
                values[i] = conv(values[i])
            yield values

    def write(self, rows: Iterable[Sequence[Any]]) -> int:
        """Insert `rows` (in the caller's transaction); answer how many were written. On
        PostgreSQL they are streamed: a generator's work overlaps with the server's."""
        count = 0

        def counted() -> Iterator[Sequence[Any]]:
            nonlocal count
            for values in self.prepare(rows):
                count += 1
                yield values

        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                sql = f"COPY {self.table} ({self.columns}) FROM STDIN"
                with cursor.cursor.copy(sql) as copy:
                    for values in counted():
                        copy.write_row(values)
            else:
                marks = ", ".join(["%s"] * self.width)
                cursor.executemany(
                    f"INSERT INTO {self.table} ({self.columns}) VALUES ({marks})", list(counted())
                )
        return count


def _is_auto(field: Field[Any, Any]) -> bool:
    return field.get_internal_type() in {"AutoField", "BigAutoField", "SmallAutoField"}
