"""API tokens: issue (after the sign-in check of `signin`), revocation and lookup."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils.dateparse import parse_datetime

from casedesk.core import clock
from casedesk.core.audit import audit_record
from casedesk.core.choices import Channel
from casedesk.core.errors import Forbidden, NotFound, ValidationFailed
from casedesk.directory.access import has_role, require_role
from casedesk.directory.choices import Role
from casedesk.directory.locks import token_lock
from casedesk.directory.models import ApiToken, User
from casedesk.directory.services.common import text_problem
from casedesk.directory.services.signin import login_verify

TOKEN_PREFIX = "cd_"
TOKEN_NAME_MAX = 100
TOKEN_DAYS_MAX = 3650


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


@transaction.atomic
def token_create(
    *,
    user: User,
    name: str = "",
    expires_at: dt.datetime | None = None,
    channel: str = Channel.API,
    actor: User | None = None,
) -> tuple[ApiToken, str]:
    """Create a new API token for `user`; return it with its secret (shown only now). The
    audit names `actor` as its author when given (an administrator), else `user`.

    Refuse with `forbidden` for a deactivated user: such a token would never work.
    """
    if not user.is_active:
        raise Forbidden(f"The user {user.username} is deactivated.")
    secret = _new_secret()
    token = ApiToken.objects.create(
        user=user,
        digest=token_digest(secret),
        name=name,
        created_at=clock.now(),
        expires_at=expires_at,
    )
    audit_record(
        actor=actor or user,
        action="token_create",
        channel=channel,
        entity=token,
        entity_type="api_token",
        changes={"user_id": [None, str(user.pk)]},
    )
    return token, secret


def token_issue(
    *,
    username: str,
    password: str,
    address: str,
    name: str = "",
    expires_in_days: int | None = None,
) -> tuple[ApiToken, str]:
    """Exchange credentials for a new token (`POST /auth/token`). It expires after
    `expires_in_days`, else after `CASEDESK_TOKEN_TTL_DAYS` when that is set, else never."""
    user = login_verify(username=username, password=password, address=address)
    return token_create(user=user, name=name, expires_at=_expiry(expires_in_days))


def _expiry(expires_in_days: int | None) -> dt.datetime | None:
    """When a new token expires: after `expires_in_days`, else after `CASEDESK_TOKEN_TTL_DAYS`
    when that is set, else never."""
    days = expires_in_days or settings.TOKEN_TTL_DAYS
    return clock.now() + dt.timedelta(days=days) if days else None


@transaction.atomic
def token_create_for(
    *,
    actor: User,
    user_id: uuid.UUID | None = None,
    name: str = "",
    expires_in_days: int | None = None,
    channel: str = Channel.API,
) -> tuple[ApiToken, str]:
    """Create a named API token for the signed-in `actor`, or (administrators) for the user
    `user_id`; return it with its secret, shown only now. It expires after `expires_in_days`
    (1 to 3650), else after `CASEDESK_TOKEN_TTL_DAYS` when that is set, else never.

    Refuse with `validation_error` a name over 100 characters or an out-of-range number of
    days, `forbidden` another user's token unless `actor` is an administrator, `not_found` an
    unknown user and `forbidden` a deactivated one.
    """
    problems: dict[str, str] = {}
    name_problem = text_problem(name, TOKEN_NAME_MAX)
    if name_problem:
        problems["name"] = name_problem
    if expires_in_days is not None and (
        isinstance(expires_in_days, bool)
        or not isinstance(expires_in_days, int)
        or not 1 <= expires_in_days <= TOKEN_DAYS_MAX
    ):
        problems["expires_in_days"] = f"must be a whole number from 1 to {TOKEN_DAYS_MAX}"
    if problems:
        raise ValidationFailed(problems)
    if user_id is None or user_id == actor.pk:
        user = actor
    else:
        require_role(actor, Role.ADMIN, "Only administrators create tokens for other users.")
        found = User.objects.filter(pk=user_id).first()
        if found is None:
            raise NotFound("No such user.")
        user = found
    return token_create(
        user=user,
        name=name.strip(),
        expires_at=_expiry(expires_in_days),
        channel=channel,
        actor=actor,
    )


@transaction.atomic
def token_revoke(*, actor: User, token_id: uuid.UUID, channel: str = Channel.API) -> ApiToken:
    """Revoke a token. Users revoke their own; administrators any. Unknown → `not_found`."""
    token = token_lock(token_id)
    if token is None or (token.user_id != actor.pk and not has_role(actor, Role.ADMIN)):
        raise NotFound("No such token.")
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="token_revoke",
            channel=channel,
            entity=token,
            entity_type="api_token",
            changes={"revoked_at": [None, token.revoked_at]},
        )
    return token


def _token_user_sql() -> str:
    """The live token's active user, in one indexed query. Every API request runs it, so it
    is plain SQL read into a `User` (`Manager.raw`): building it through the query compiler
    cost about four times as much."""
    qn = connection.ops.quote_name
    token, user = qn(ApiToken._meta.db_table), qn(User._meta.db_table)
    columns = ", ".join(f"u.{qn(f.column)}" for f in User._meta.concrete_fields)
    columns += f", t.{qn('id')} AS token_id, t.{qn('last_used_at')} AS token_last_used_at"
    return (
        f"SELECT {columns} FROM {token} t JOIN {user} u ON u.{qn('id')} = t.{qn('user_id')}"
        f" WHERE t.{qn('digest')} = %s AND t.{qn('revoked_at')} IS NULL"
        f" AND (t.{qn('expires_at')} IS NULL OR t.{qn('expires_at')} > %s)"
        f" AND u.{qn('is_active')} = %s"
        # A token issued before the user's last deactivation stays dead (it was revoked then;
        # this also holds for one whose issue raced the deactivation).
        f" AND (u.{qn('deactivated_at')} IS NULL"
        f" OR t.{qn('created_at')} > u.{qn('deactivated_at')})"
    )


_TOKEN_USER_SQL: dict[str, str] = {}


# How stale a token's "last used" may get: recording every use would add a write to every
# API request; once in this time costs one write per token and keeps the date useful.
LAST_USED_RESOLUTION = dt.timedelta(minutes=15)


def token_authenticate(secret: str) -> User | None:
    """The active user a live token belongs to, or None (a token issued before the user's last
    deactivation is not live). One indexed query, no hashing cost;
    the token's `last_used_at` is brought up to date when older than LAST_USED_RESOLUTION."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    sql = _TOKEN_USER_SQL.get(connection.vendor)
    if sql is None:
        sql = _TOKEN_USER_SQL[connection.vendor] = _token_user_sql()
    now = clock.now()
    at = connection.ops.adapt_datetimefield_value(now)
    for user in User.objects.raw(sql, [token_digest(secret), at, True]):
        _record_use(user.token_id, user.token_last_used_at, now)  # type: ignore[attr-defined]
        return user
    return None


def _record_use(token_id: Any, last_used: Any, now: dt.datetime) -> None:
    if isinstance(last_used, str):  # SQLite answers a raw column as its stored text
        last_used = parse_datetime(last_used)
    if isinstance(last_used, dt.datetime) and last_used.tzinfo is None:
        last_used = last_used.replace(tzinfo=dt.UTC)
    stale = now - LAST_USED_RESOLUTION
    if last_used is not None and last_used > stale:
        return
    # Conditional, so that concurrent requests with one token write it once.
    with transaction.atomic():
        ApiToken.objects.filter(pk=token_id).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale)
        ).update(last_used_at=now)
