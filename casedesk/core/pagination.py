"""Keyset pagination with opaque, signed cursors: `{"items": [...], "next": CURSOR|null}`.

A page costs one query however deep it is: the cursor carries the sort key of the last item
returned, and the next page asks for rows strictly after it in the (stable) order.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core import signing
from django.db.models import Model, Q, QuerySet

from casedesk.core.errors import BadRequest

T = TypeVar("T")  # a model instance, or a `.values()` row

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_SALT = "casedesk.pagination"


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next: str | None


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"t": "dt", "v": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {"t": "uuid", "v": str(value)}
    if isinstance(value, dt.date):
        return {"t": "d", "v": value.isoformat()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        kind, raw = value.get("t"), value.get("v")
        if not isinstance(raw, str):
            raise ValueError("bad cursor value")
        if kind == "dt":
            return dt.datetime.fromisoformat(raw)
        if kind == "uuid":
            return uuid.UUID(raw)
        if kind == "d":
            return dt.date.fromisoformat(raw)
        raise ValueError("bad cursor value")
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise ValueError("bad cursor value")


def _field_value(obj: Any, path: str) -> Any:
    if isinstance(obj, dict):  # a `.values()` row
        return obj[path]
    value: Any = obj
    for part in path.split("__"):
        value = getattr(value, part)
    if isinstance(value, Model):
        return value.pk
    return value


def encode_cursor(scope: str, values: Sequence[Any]) -> str:
    return signing.dumps({"s": scope, "k": [_encode(v) for v in values]}, salt=_SALT, compress=True)


def decode_cursor(scope: str, cursor: str, width: int) -> list[Any]:
    try:
        data = signing.loads(cursor, salt=_SALT)
        if not isinstance(data, dict) or data.get("s") != scope:
            raise ValueError("cursor for another list")
        keys = data.get("k")
        if not isinstance(keys, list) or len(keys) != width:
            raise ValueError("bad cursor")
        return [_decode(v) for v in keys]
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise BadRequest("The cursor is invalid.", details={"cursor": "invalid"}) from exc


def _after(order: Sequence[str], values: Sequence[Any]) -> Q:
    """Rows strictly after `values` in `order` (each field '-name' for descending).

    Nullable sort keys are not supported: order only by non-null columns, ending with a unique
    one (the primary key) so the order is total.
    """
    condition = Q()
    for i in range(len(order) - 1, -1, -1):
        field = order[i].lstrip("-")
        descending = order[i].startswith("-")
        step = Q(**{f"{field}__{'lt' if descending else 'gt'}": values[i]})
        if i == len(order) - 1:
            condition = step
        else:
            condition = step | (Q(**{field: values[i]}) & condition)
    return condition


def paginate(
    queryset: QuerySet[Any, T],
    *,
    order: Sequence[str],
    limit: int | None = None,
    cursor: str | None = None,
    scope: str = "",
    read: Callable[[QuerySet[Any, Any]], QuerySet[Any, Any]] | None = None,
) -> Page[T]:
    """Return one page of `queryset` in `order`; `scope` ties a cursor to its list.

    With `read`, the page is chosen first on the primary keys alone and then read in full:
    `read` gets the query of the page's keys (`values("pk")`, sliced) and returns the query
    of the rows to answer; both run as one statement. A database that must sort the matching
    rows (a search) otherwise builds every wide row, joins and subqueries included, before it
    keeps a page of them.
    """
    size = DEFAULT_LIMIT if limit is None else limit
    if not 1 <= size <= MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}.", details={"limit": size})
    scope = scope or queryset.model._meta.label
    qs = queryset.order_by(*order)
    if cursor:
        qs = qs.filter(_after(order, decode_cursor(scope, cursor, len(order))))
    if read is None:
        rows = list(qs[: size + 1])
    else:
        keys = qs.values("pk")[: size + 1]
        rows = list(read(keys).order_by(*order))
    has_more = len(rows) > size
    rows = rows[:size]
    next_cursor = None
    if has_more and rows:
        last = rows[-1]
        next_cursor = encode_cursor(scope, [_field_value(last, f.lstrip("-")) for f in order])
    return Page(items=rows, next=next_cursor)
