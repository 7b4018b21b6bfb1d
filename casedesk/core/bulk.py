"""Set-wise inserts: many rows of one model in one statement, at the engine's own pace.

`executemany` on SQLite, `COPY ... FROM STDIN` on PostgreSQL. Values are turned into what the
engine stores once per field kind (UUIDs as hex text and datetimes as UTC text on SQLite,
JSON as text on both), not through a model instance and `get_db_prep_save` per value: for a
bulk import that conversion costs more than the insert itself. Values every row shares are
given once and converted once. Model `save()`, signals and per-row validation do not run: the
caller validated the rows. Used inside the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from django.db import connection
from django.db.models import Field, Model

Convert = Callable[[Any], Any]


def _uuid_hex(value: Any) -> Any:
    return None if value is None else value.hex


def _json_text(value: Any) -> str:
    return json.dumps(value)  # what Django's JSONField stores (its encoder is the default)


def _utc_text(value: Any) -> Any:
    # Django's SQLite backend stores aware datetimes as naive UTC `str(datetime)`, which is
    # `isoformat(" ")`; for a UTC time that is its own `isoformat(" ")` without "+00:00".
    if value is None:
        return None
    if value.tzinfo is dt.UTC:
        return value.isoformat(" ")[:-6]
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


def _is_auto(field: Field[Any, Any]) -> bool:
    return field.get_internal_type() in {"AutoField", "BigAutoField", "SmallAutoField"}


class BulkInsert:
    """Insert rows of `model` given as tuples in the order of `fields` (attribute names, such
    as `customer_account_id`). `constants` gives values every row shares; every other concrete
    field but an auto-increment key gets its model default."""

    def __init__(
        self, model: type[Model], fields: Sequence[str], constants: Mapping[str, Any] | None = None
    ) -> None:
        meta = model._meta
        constants = dict(constants or {})
        by_attname = {f.attname: f for f in meta.concrete_fields}
        unknown = [name for name in [*fields, *constants] if name not in by_attname]
        if unknown:
            raise ValueError(f"{meta.label} has no fields {unknown}")
        self.fields = [by_attname[name] for name in fields]
        fixed: list[tuple[Field[Any, Any], Any]] = []
        self.dynamic: list[Field[Any, Any]] = []  # defaults computed per row (uuid4, ...)
        for field in meta.concrete_fields:
            if field.attname in fields or (field.primary_key and _is_auto(field)):
                continue
            if field.attname in constants:
                fixed.append((field, constants[field.attname]))
            elif not field.has_default() and not field.null:
                raise ValueError(f"{meta.label}.{field.attname} has no default: name it")
            elif field.has_default() and callable(field.default):
                self.dynamic.append(field)
            else:
                fixed.append((field, field.get_default()))
        self.tail = tuple(
            value if (conv := _converter(field)) is None else conv(value) for field, value in fixed
        )
        ordered = self.fields + [f for f, _ in fixed] + self.dynamic
        self.width = len(ordered)
        self.table = connection.ops.quote_name(meta.db_table)
        self.columns = ", ".join(connection.ops.quote_name(f.column) for f in ordered)
        self.conversions = [
            (i, conv) for i, conv in enumerate(map(_converter, self.fields)) if conv is not None
        ]
        first_dynamic = len(self.fields) + len(fixed)
        self.dynamic_conversions = [
            (first_dynamic + i, conv)
            for i, conv in enumerate(map(_converter, self.dynamic))
            if conv is not None
        ]

    def prepare(self, rows: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
        """The rows as the engine takes them, one at a time."""
        conversions = self.conversions + self.dynamic_conversions
        tail, dynamic = self.tail, self.dynamic
        for row in rows:
            values = (
                [*row, *tail, *(f.get_default() for f in dynamic)] if dynamic else [*row, *tail]
            )
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
