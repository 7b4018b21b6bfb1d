"""Schemas shared by every router: the error shape and list pages."""

from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import BaseModel, ConfigDict

from casedesk.core.types import Cursor, Limit


class Out(BaseModel):
    """An answer body. Plain pydantic, validated in its compiled core: routers hand it dicts
    (or objects, read by attribute), without ninja's per-field Python getter, which cost most
    of a list page's time."""

    model_config = ConfigDict(from_attributes=True)


class ErrorDetail(Out):
    code: str
    message: str
    details: dict[str, Any]


class ErrorOut(Out):
    error: ErrorDetail


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """The error answers an operation declares, always with 400, 401, 404 and 503."""
    codes = {400, 401, 404, 503, *statuses}
    return dict.fromkeys(sorted(codes), ErrorOut)


class IdName(Out):
    id: str
    name: str


class ListParams(Schema):
    """`?limit=` (1–200, default 50) and `?cursor=` of every list."""

    limit: Limit = 50
    cursor: Cursor | None = None


class Ref(Out):
    """A typed reference: a customer (`account`/`contact`) or an owner (`user`/`team`)."""

    type: str
    id: str
    name: str
