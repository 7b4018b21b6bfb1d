"""Signing in: the credential check behind the sign-in form and `POST /auth/token`, with
increasing delays after failures (docs/security.md), and the administrators' unlock.

After `free_per_user` failures for a user name, or `free_per_address` for a client address,
the next attempt waits `first_delay_seconds`; each further failure doubles the wait, up to
`max_delay_seconds`. A stranger can so slow a user name down but never lock its owner out
for long, and one address behind a proxy (the client's, `core/proxies.py`) cannot block the
others. A success clears the user name's count; a count is forgotten after
`forget_after_seconds` without a failure. The counts live in the database (`LoginThrottle`),
so every worker and app server shares them, and read the time from `core.clock`.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import uuid

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction

from casedesk.core import clock
from casedesk.core.audit import audit_record
from casedesk.core.choices import Channel
from casedesk.core.errors import NotFound, RateLimited, Unauthenticated
from casedesk.directory.access import Actor, require_role
from casedesk.directory.choices import Role
from casedesk.directory.locks import throttle_lock, throttles_lock
from casedesk.directory.models import LoginThrottle, User
from casedesk.directory.services.common import ADMINS_ONLY
from casedesk.directory.throttle import (
    USER_KEY,
    address_key,
    forgotten_before,
    signin_delay,
    user_key,
)

logger = logging.getLogger("casedesk.security")


def _conf() -> dict[str, int]:
    return dict(settings.LOGIN_THROTTLE)


def _keys(username: str, address: str) -> dict[str, int]:
    """Each count an attempt adds to, with the failures it allows before delays start."""
    conf = _conf()
    return {
        user_key(username): conf["free_per_user"],
        address_key(address): conf["free_per_address"],
    }


def _delay_of(failures: int, free: int) -> int:
    conf = _conf()
    return signin_delay(
        failures,
        free=free,
        first=conf["first_delay_seconds"],
        longest=conf["max_delay_seconds"],
    )


def _live(now: dt.datetime) -> dt.datetime:
    return forgotten_before(now, _conf())


def _refuse(wait: dt.timedelta) -> RateLimited:
    seconds = max(1, math.ceil(wait.total_seconds()))
    return RateLimited(seconds, f"Too many failed sign-ins; try again in {seconds} seconds.")


def login_throttle_check(*, username: str, address: str) -> None:
    """Let an attempt for `username` from `address` go ahead, or refuse it with `rate_limited`
    (and the seconds to wait) while either count waits.

    An attempt after a wait takes the next turn at once, so that attempts sent together do not
    all slip through: the others wait the same delay again.
    """
    now = clock.now()
    keys = _keys(username, address)
    rows = list(LoginThrottle.objects.filter(key__in=list(keys), last_failure_at__gt=_live(now)))
    waits = [row.wait_until - now for row in rows if row.wait_until and row.wait_until > now]
    if waits:
        raise _refuse(max(waits))
    delayed = [row for row in rows if _delay_of(row.failures, keys[row.key]) > 0]
    if not delayed:
        return
    with transaction.atomic():
        for row in sorted(delayed, key=lambda r: r.key):
            hold = dt.timedelta(seconds=_delay_of(row.failures, keys[row.key]))
            taken = LoginThrottle.objects.filter(
                key=row.key, failures=row.failures, wait_until=row.wait_until
            ).update(wait_until=now + hold)
            if not taken:  # another attempt took this turn first
                raise _refuse(hold)


def login_failure_record(*, username: str, address: str) -> None:
    """Count a failed attempt for `username` from `address`; when a count reaches its delays,
    set its wait and log it (`casedesk.security`, WARNING)."""
    now = clock.now()
    keys = _keys(username, address)
    live = _live(now)
    delayed: list[tuple[LoginThrottle, int]] = []
    with transaction.atomic():
        # Rows are created and locked in key order, the same in every transaction: no deadlock.
        LoginThrottle.objects.bulk_create(
            [LoginThrottle(key=key, failures=0, last_failure_at=now) for key in sorted(keys)],
            ignore_conflicts=True,
        )
        rows = throttles_lock(keys)
        for row in rows:
            row.failures = 1 if row.last_failure_at <= live else row.failures + 1
            row.last_failure_at = now
            delay = _delay_of(row.failures, keys[row.key])
            row.wait_until = now + dt.timedelta(seconds=delay) if delay else None
            row.save(update_fields=["failures", "last_failure_at", "wait_until"])
            if delay:
                delayed.append((row, delay))
        LoginThrottle.objects.filter(last_failure_at__lte=live).delete()
    # Logged after the commit: a slow log destination must not hold the rows' locks (and on
    # SQLite the database's write lock).
    for row, delay in delayed:
        _log_delay(row, username=username, address=address, delay=delay)


def _log_delay(row: LoginThrottle, *, username: str, address: str, delay: int) -> None:
    scope = "user name" if row.key.startswith(USER_KEY) else "address"
    logger.warning(
        "sign-in delayed by the %s count: user name %r from %s, %d failures, next attempt in %d s",
        scope,
        username,
        address,
        row.failures,
        delay,
        extra={
            "event": "signin_delayed",
            "scope": scope,
            "username": username,
            "client_address": address,
            "failures": row.failures,
            "delay_seconds": delay,
        },
    )


def _log_failure(reason: str, *, username: str, address: str, **fields: int) -> None:
    """Every refused sign-in, at INFO: the WARNING of `_log_delay` is the one to alert on."""
    logger.info(
        "sign-in refused (%s): user name %r from %s",
        reason,
        username,
        address,
        extra={
            "event": "signin_failed",
            "reason": reason,
            "username": username,
            "client_address": address,
            **fields,
        },
    )


def login_verify(*, username: str, password: str, address: str) -> User:
    """Return the active user with these credentials, `address` being the client's
    (`core.proxies.client_address`).

    Refuse with `rate_limited` while the user name or the address waits, and with
    `unauthenticated` on bad credentials or a deactivated user (which counts as a failure).
    A success clears the user name's count.
    """
    try:
        login_throttle_check(username=username, address=address)
    except RateLimited as exc:
        _log_failure("waiting", username=username, address=address, retry_after=exc.retry_after)
        raise
    user = authenticate(username=username, password=password)
    if user is None or not user.is_active:
        login_failure_record(username=username, address=address)
        _log_failure("bad_credentials", username=username, address=address)
        raise Unauthenticated("The user name or password is wrong.")
    assert isinstance(user, User)
    key = user_key(username)
    if LoginThrottle.objects.filter(key=key).exists():
        with transaction.atomic():
            LoginThrottle.objects.filter(key=key).delete()
    return user


def login_unlock(*, actor: Actor, user_id: uuid.UUID, channel: str = Channel.API) -> User:
    """Lift the wait of a user's name and forget its failed sign-ins (the count of the
    addresses they came from stays).

    Administrators only (`SYSTEM`: the command line's operator). Refuse with
    `forbidden` and `not_found`.
    """
    require_role(actor, Role.ADMIN, ADMINS_ONLY)
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound("No such user.")
    with transaction.atomic():
        row = throttle_lock(user_key(user.username))
        failures = row.failures if row is not None else 0
        if row is not None:
            row.delete()
        audit_record(
            actor=actor,
            action="unlock",
            channel=channel,
            entity=user,
            changes={"failed_sign_ins": [failures, 0]},
        )
    logger.info(
        "sign-in unlocked: user name %r, %d failures forgotten",
        user.username,
        failures,
        extra={"event": "signin_unlocked", "username": user.username, "failures": failures},
    )
    return user
