from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from casedesk.api.auth import actor
from casedesk.api.http import page_body
from casedesk.api.schemas import In, ListParams, Out, errors
from casedesk.core.pagination import paginate
from casedesk.core.proxies import client_address
from casedesk.core.types import Days, Password, TokenName, Username
from casedesk.directory import selectors, services
from casedesk.directory.models import ApiToken

router = Router(tags=["auth"])


class TokenIn(In):
    username: Username
    password: Password
    name: TokenName = ""
    expires_in_days: Days | None = None


class TokenOut(Out):
    token: str
    id: str


class TokenInfo(Out):
    id: str
    revoked: bool


class TokenCreateIn(In):
    name: TokenName = ""
    expires_in_days: Days | None = None
    user_id: uuid.UUID | None = None


class TokenItem(Out):
    """A token as listed: never its secret nor its digest."""

    id: str
    name: str
    user_id: str
    created_at: str
    expires_at: str | None
    last_used_at: str | None
    revoked_at: str | None
    state: str


class TokenPage(Out):
    items: list[TokenItem]
    next: str | None


class TokenListParams(ListParams):
    """`?user_id=` lists another user's tokens (administrators)."""

    user_id: uuid.UUID | None = None


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def token_item(token: ApiToken) -> dict[str, Any]:
    return {
        "id": str(token.id),
        "name": token.name,
        "user_id": str(token.user_id),
        "created_at": token.created_at.isoformat(),
        "expires_at": _when(token.expires_at),
        "last_used_at": _when(token.last_used_at),
        "revoked_at": _when(token.revoked_at),
        "state": token.state,  # type: ignore[attr-defined]
    }


@router.post("/token", auth=None, response={201: TokenOut, **errors(413, 422, 429)})
def token_issue(request: HttpRequest, payload: TokenIn) -> Status:
    """Exchange a user name and password for a bearer token. After repeated failures for the
    user name or the client address the next attempt waits (429 with `Retry-After`)."""
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


@router.get("/tokens", response={200: TokenPage, **errors(403)})
def token_list(request: HttpRequest, params: Query[TokenListParams]) -> dict[str, Any]:
    """Your API tokens, newest first, each with its `state` (`active`, `suspended`, `expired`,
    `revoked`); `?user_id=` another user's (administrators)."""
    me = actor(request)
    tokens = selectors.token_list(actor=me, user_id=params.user_id)
    page = paginate(
        tokens,
        order=("-created_at", "-id"),
        limit=params.limit,
        cursor=params.cursor,
        scope=f"tokens:{params.user_id or me.pk}",
    )
    return page_body(page, token_item)


@router.post("/tokens", response={201: TokenOut, **errors(403, 413, 422)})
def token_create(request: HttpRequest, payload: TokenCreateIn) -> Status:
    """Create a named API token for yourself, or for another active user (administrators),
    expiring after `expires_in_days`; the secret is in this answer only."""
    token, secret = services.token_create_for(
        actor=actor(request),
        user_id=payload.user_id,
        name=payload.name,
        expires_in_days=payload.expires_in_days,
    )
    return Status(201, {"token": secret, "id": str(token.id)})
