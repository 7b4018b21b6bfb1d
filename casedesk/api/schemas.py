"""Schemas shared by every router: the error shape and list pages."""

from __future__ import annotations

from typing import Any

from ninja import Schema

from casedesk.core.types import Cursor, Limit


class ErrorDetail(Schema):
    code: str
    message: str
    details: dict[str, Any]


class ErrorOut(Schema):
    error: ErrorDetail


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """The error answers an operation declares, always with 400, 401, 404 and 503."""
    codes = {400, 401, 404, 503, *statuses}
    return dict.fromkeys(sorted(codes), ErrorOut)


class IdName(Schema):
    id: str
    name: str


class ListParams(Schema):
    """`?limit=` (1–200, default 50) and `?cursor=` of every list."""

    limit: Limit = 50
    cursor: Cursor | None = None


class Ref(Schema):
    """A typed reference: a customer (`account`/`contact`) or an owner (`user`/`team`)."""

    type: str
    id: str
    name: str
