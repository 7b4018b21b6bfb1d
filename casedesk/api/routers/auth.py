from __future__ import annotations

import uuid
from typing import Annotated

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from casedesk.api.auth import actor
from casedesk.api.schemas import Out, errors
from casedesk.core.types import Password, TokenName, Username
from casedesk.directory import services

router = Router(tags=["auth"])


class TokenIn(Schema):
    username: Username
    password: Password
    name: TokenName = ""
    expires_in_days: Annotated[int, Field(ge=1, le=3650)] | None = None


class TokenOut(Out):
    token: str
    id: str


class TokenInfo(Out):
    id: str
    revoked: bool


def client_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "unknown")


@router.post("/token", auth=None, response={201: TokenOut, **errors(422, 429)})
def token_issue(request: HttpRequest, payload: TokenIn) -> Status:
    """Exchange a user name and password for a bearer token (throttled on failures)."""
    token, secret = services.token_issue(
        username=payload.username,
        password=payload.password,
        address=client_address(request),
        name=payload.name,
        expires_in_days=payload.expires_in_days,
    )
    return Status(201, {"token": secret, "id": str(token.id)})


@router.delete("/tokens/{token_id}", response={200: TokenInfo, **errors(403)})
def token_revoke(request: HttpRequest, token_id: uuid.UUID) -> dict[str, object]:
    """Revoke a token: your own, or anyone's for an administrator."""
    token = services.token_revoke(actor=actor(request), token_id=token_id)
    return {"id": str(token.id), "revoked": token.revoked_at is not None}
