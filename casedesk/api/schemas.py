"""Schemas shared by every router: request bodies, the error shape and list pages."""

from __future__ import annotations

from typing import Any

from ninja import Body, Schema
from pydantic import BaseModel, ConfigDict

from casedesk.core.types import Cursor, Limit


class Out(BaseModel):
    """An answer body. Plain pydantic, validated in its compiled core: routers hand it dicts
    (or objects, read by attribute), without ninja's per-field Python getter, which cost most
    of a list page's time."""

    model_config = ConfigDict(from_attributes=True)


class In(BaseModel):
    """A request body, or an object inside one: a JSON object with the declared fields and no
    others. Anything else (another field, an array, a string, `null` where an object is
    required) is 422 (docs/api.md).

    Plain pydantic, not ninja's Schema: ninja's reads any value by attribute, so `42` or
    `[null]` would pass as an object whose fields all take their defaults. Declare numbers and
    flags with the types of casedesk.core.types, which are strict.
    """

    model_config = ConfigDict(extra="forbid")


class NoBody(In):
    """The body of an action without options: absent, `null` or `{}`."""


# An optional body: absent, empty, `null` or `{}` all mean "no options".
OPTIONAL_BODY = Body(None)


class ErrorDetail(Out):
    code: str
    message: str
    details: dict[str, Any]


class ErrorOut(Out):
    error: ErrorDetail


def errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    """The error answers an operation declares, always with 400, 401, 404 and 503; an
    operation that reads a body adds 413 and 422."""
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
