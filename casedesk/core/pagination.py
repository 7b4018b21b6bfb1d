"""Keyset pagination with opaque, signed cursors: `{"items": [...], "next": CURSOR|null}`.

A page costs one query however deep it is: the cursor carries the sort key of the last item
returned, and the next page asks for rows strictly after it in the (stable) order.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core import signing
from django.db.models import F, Model, Q, QuerySet

from casedesk.core.errors import BadRequest

T = TypeVar("T")  # a model instance, or a `.values()` row

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_SALT = "casedesk.pagination"


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next: str | None
    previous: str | None = None  # the cursor of the page before (the web's lists)


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


def encode_cursor(scope: str, values: Sequence[Any], *, before: bool = False) -> str:
    """A cursor of the rows after `values` (with `before`, the rows before them)."""
    data: dict[str, Any] = {"s": scope, "k": [_encode(v) for v in values]}
    if before:
        data["b"] = 1
    return signing.dumps(data, salt=_SALT, compress=True)


def decode_cursor(scope: str, cursor: str, width: int) -> list[Any]:
    return _decode_cursor(scope, cursor, width)[0]


def _decode_cursor(scope: str, cursor: str, width: int) -> tuple[list[Any], bool]:
    try:
        data = signing.loads(cursor, salt=_SALT)
        if not isinstance(data, dict) or data.get("s") != scope:
            raise ValueError("cursor for another list")
        keys = data.get("k")
        if not isinstance(keys, list) or len(keys) != width:
            raise ValueError("bad cursor")
        return [_decode(v) for v in keys], data.get("b") == 1
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise BadRequest("The cursor is invalid.", details={"cursor": "invalid"}) from exc


def _after(order: Sequence[str], values: Sequence[Any], nulls_last: Collection[str] = ()) -> Q:
    """Rows strictly after `values` in `order` (each field '-name' for descending).

    A sort key that may be null must be named in `nulls_last` (its nulls sort after every
    value, in either direction); the order ends with a unique one (the primary key) so that
    it is total.
    """
    condition = Q()
    for i in range(len(order) - 1, -1, -1):
        field = order[i].lstrip("-")
        descending = order[i].startswith("-")
        if field in nulls_last:
            if values[i] is None:  # nothing sorts after a null but other nulls
                step, same = Q(pk__in=[]), Q(**{f"{field}__isnull": True})
            else:
                beyond = Q(**{f"{field}__{'lt' if descending else 'gt'}": values[i]})
                step, same = beyond | Q(**{f"{field}__isnull": True}), Q(**{field: values[i]})
        else:
            step = Q(**{f"{field}__{'lt' if descending else 'gt'}": values[i]})
            same = Q(**{field: values[i]})
        if i == len(order) - 1:
            condition = step
        else:
            condition = step | (same & condition)
    return condition


def _before(order: Sequence[str], values: Sequence[Any], nulls_last: Collection[str] = ()) -> Q:
    """Rows strictly before `values` in `order` (as `_after`, the other way)."""
    condition = Q()
    for i in range(len(order) - 1, -1, -1):
        field = order[i].lstrip("-")
        descending = order[i].startswith("-")
        lookup = f"{field}__{'gt' if descending else 'lt'}"
        if field in nulls_last and values[i] is None:  # every value sorts before a null
            step, same = Q(**{f"{field}__isnull": False}), Q(**{f"{field}__isnull": True})
        else:  # a null never sorts before a value: the comparison leaves nulls out
            step, same = Q(**{lookup: values[i]}), Q(**{field: values[i]})
        condition = step if i == len(order) - 1 else step | (same & condition)
    return condition


def _ordering(
    order: Sequence[str], nulls_last: Collection[str], *, reverse: bool = False
) -> list[Any]:
    """The ORDER BY of `order`, or of its exact reverse (a key with nulls last then has them
    first: the same index read backwards)."""
    result: list[Any] = []
    for name in order:
        field = name.lstrip("-")
        descending = name.startswith("-") != reverse
        if field not in nulls_last:
            result.append(f"-{field}" if descending else field)
        else:
            nulls = {"nulls_first": True} if reverse else {"nulls_last": True}
            result.append(F(field).desc(**nulls) if descending else F(field).asc(**nulls))
    return result


def paginate(
    queryset: QuerySet[Any, T],
    *,
    order: Sequence[str],
    limit: int | None = None,
    cursor: str | None = None,
    scope: str = "",
    read: Callable[[QuerySet[Any, Any]], QuerySet[Any, Any]] | None = None,
    annotations: Mapping[str, Any] | None = None,
    nulls_last: Collection[str] = (),
    reverse: bool = False,
) -> Page[T]:
    """Return one page of `queryset` in `order`; `scope` ties a cursor to its list.

    With `reverse`, the list is `order`'s exact reverse (its last row first). The page's
    `previous` is the cursor of the page before it (None on the first page): a page is read
    backwards by reversing the order, taking the page and reversing it back.

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
    extra = dict(annotations or {})
    values: list[Any] | None = None
    before = False
    if cursor:
        values, before = _decode_cursor(scope, cursor, len(order))
    # Read in the direction of `order` (`forward`) or against it: from a cursor as it says,
    # else in the list's direction. A page read against the list's direction is reversed back.
    forward = not before if values is not None else not reverse
    going_on = forward != reverse
    ordering = _ordering(order, nulls_last, reverse=not forward)
    qs = (queryset.annotate(**extra) if extra else queryset).order_by(*ordering)
    if values is not None:
        qs = qs.filter((_after if forward else _before)(order, values, nulls_last))
    if read is None:
        rows = list(qs[: size + 1])
    else:
        keys = qs.values("pk")[: size + 1]
        page = read(keys)
        rows = list((page.annotate(**extra) if extra else page).order_by(*ordering))
    has_more = len(rows) > size
    rows = rows[:size]
    if not going_on:
        rows.reverse()

    def key(row: Any) -> list[Any]:
        return [_field_value(row, f.lstrip("-")) for f in order]

    # The next page is after the last row in the list's direction (before it in `order`'s for
    # a reversed list), the previous one before the first row.
    next_cursor = previous = None
    if rows and (has_more or not going_on):
        next_cursor = encode_cursor(scope, key(rows[-1]), before=reverse)
    if rows and (has_more if not going_on else values is not None):
        previous = encode_cursor(scope, key(rows[0]), before=not reverse)
    return Page(items=rows, next=next_cursor, previous=previous)
