"""Set-wise inserts: many rows of one model in one statement, at the engine's own pace.

`executemany` on SQLite, `COPY ... FROM STDIN` on PostgreSQL. Values are turned into what the
engine stores by `db_value_converter`, chosen once per field (UUIDs as hex text and datetimes
as UTC text on SQLite, JSON as text on both), not through a model instance and
`get_db_prep_save` per value: for a bulk import that conversion costs more than the insert
itself. `casedesk.core.rows` converts its set-wise updates with the same function. Values
every row shares are given once and converted once. Model `save()`, signals and per-row
validation do not run: the caller validated the rows. Used inside the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model

Convert = Callable[[Any], Any]

# Field kinds whose values of one exact Python type (or None) both drivers take unchanged, as
# Django's `get_db_prep_save` gives them.
_INTEGERS = (
    "IntegerField",
    "SmallIntegerField",
    "BigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "PositiveBigIntegerField",
    "AutoField",
    "SmallAutoField",
    "BigAutoField",
)
_PLAIN_TYPE = {"BooleanField": bool, **dict.fromkeys(_INTEGERS, int)}
# Text kinds: Django saves any `str`, a choice's member too, as it is.
_TEXT = frozenset({"CharField", "TextField"})


def db_value_converter(field: Field[Any, Any], db: BaseDatabaseWrapper) -> Convert:
    """How a Python value of `field` becomes the parameter the driver of `db` is given in raw
    SQL: what Django's `get_db_prep_save` gives, with the common kinds done directly, since for
    many rows Django's own path costs more than the statement. Plain text, numbers and booleans
    as they are; on SQLite UUIDs as 32 hex digits and aware datetimes as naive UTC text (what
    Django's SQLite backend writes), on PostgreSQL both as they are (psycopg sends them); JSON
    as text by the default encoder on both (a None too: JSON `null`). Any other value, and any
    other kind of field, goes through `get_db_prep_save`."""
    target = getattr(field, "target_field", None) if field.is_relation else field
    kind = (target or field).get_internal_type()
    sqlite = db.vendor == "sqlite"

    def prepare(value: Any) -> Any:
        return field.get_db_prep_save(value, db)

    if kind in _TEXT:
        return lambda v: v if v is None or isinstance(v, str) else prepare(v)
    plain = _PLAIN_TYPE.get(kind)
    if plain is not None:
        return lambda v: v if v is None or type(v) is plain else prepare(v)
    if kind == "UUIDField":
        if sqlite:
            return lambda v: None if v is None else v.hex if type(v) is uuid.UUID else prepare(v)
        return lambda v: v if v is None or type(v) is uuid.UUID else prepare(v)
    if kind == "DateTimeField" and db.timezone_name == "UTC":

        def utc(value: Any) -> Any:
            if type(value) is not dt.datetime or value.tzinfo is None:
                return None if value is None else prepare(value)
            if not sqlite:
                return value
            if value.tzinfo is dt.UTC:  # `str(datetime)` without its "+00:00"
                return value.isoformat(" ")[:-6]
            return str(value.astimezone(dt.UTC).replace(tzinfo=None))

        return utc
    if kind == "JSONField" and getattr(field, "encoder", None) is None:
        return json.dumps  # what Django's JSONField stores by the default encoder
    return prepare


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
        convert = [db_value_converter(f, connection) for f in self.fields]
        self.tail = tuple(db_value_converter(f, connection)(value) for f, value in fixed)
        ordered = self.fields + [f for f, _ in fixed] + self.dynamic
        self.width = len(ordered)
        self.table = connection.ops.quote_name(meta.db_table)
        self.columns = ", ".join(connection.ops.quote_name(f.column) for f in ordered)
        first_dynamic = len(self.fields) + len(fixed)
        self.conversions = list(enumerate(convert)) + [
            (first_dynamic + i, db_value_converter(f, connection))
            for i, f in enumerate(self.dynamic)
        ]

    def prepare(self, rows: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
        """The rows as the engine takes them, one at a time."""
        conversions = self.conversions
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
