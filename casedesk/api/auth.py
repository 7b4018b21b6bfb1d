from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from casedesk.core.ratelimit import rate_limit_take
from casedesk.directory.models import User
from casedesk.directory.services import token_authenticate


class BearerAuth(HttpBearer):
    """`Authorization: Bearer TOKEN`: a SHA-256 digest lookup, no password hashing per call."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_authenticate(token)
        if user is not None:
            request.user = user
            rate_limit_take(f"user:{user.pk}")
        return user


def actor(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user
