"""Every lock of `directory`, in the global lock order of docs/concurrency.md.

A directory write takes, in this order: the advisory lock `casedesk.directory` (level 1: the
writes of roles, activity and team membership, first of all their locks); then the rows of
level 3: the user or team it names, then that user's live API tokens; a token revocation locks
the one token; a sign-in failure locks its counters (`LoginThrottle`) in key order.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection

from casedesk.core.locks import row_lock, rows_lock, serialize_writes
from casedesk.directory.models import ApiToken, LoginThrottle, Team, User


def directory_lock() -> None:
    """Serialise the writes of roles, activity and team membership: the last-administrator
    rule and the two sides of a membership are read and written without a race. Taken first,
    before any row lock."""
    serialize_writes("casedesk.directory")


def user_lock(user_id: uuid.UUID) -> User:
    """The user, locked (`not_found`): `FOR NO KEY UPDATE`, so that rows referencing the user
    (cases it owns, its audit rows) are written meanwhile without waiting."""
    return row_lock(User, "No such user.", no_key=True, id=user_id)


def user_language_lock(user_id: uuid.UUID) -> User:
    """The signed-in user's own row, locked to change its language."""
    return row_lock(User, "No such user.", pk=user_id)


def tokens_live_lock(user: User) -> list[ApiToken]:
    """The user's live (not revoked) API tokens, locked after the user."""
    return list(rows_lock(ApiToken.objects.filter(user=user, revoked_at__isnull=True)))


def token_lock(token_id: uuid.UUID) -> ApiToken | None:
    """The API token, locked (None: no such token; the caller answers `not_found`)."""
    return rows_lock(ApiToken.objects.filter(id=token_id)).first()


def team_lock(team_id: uuid.UUID) -> Team:
    """The team, locked (`not_found`), after `directory_lock`."""
    return row_lock(Team, "No such team.", id=team_id)


def throttles_lock(keys: Collection[str]) -> list[LoginThrottle]:
    """The sign-in counters of `keys`, locked in key order (the same in every transaction)."""
    return list(rows_lock(LoginThrottle.objects.filter(key__in=list(keys)).order_by("key")))


def throttle_lock(key: str) -> LoginThrottle | None:
    """One sign-in counter, locked (None: none kept)."""
    return rows_lock(LoginThrottle.objects.filter(key=key)).first()
