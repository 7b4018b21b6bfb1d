"""Per-user request limits (`CASEDESK_RATE_LIMIT`): a token bucket kept in the database, so
every worker and app server shares it. Bursts of twice the rate are allowed. Time is read from
the injected clock (`casedesk/core/clock.py`), so the refill is tested without waiting."""

from __future__ import annotations

import math

from django.conf import settings
from django.db import connection

from casedesk.core import clock
from casedesk.core.errors import RateLimited
from casedesk.core.models import RateBucket

_TABLE = RateBucket._meta.db_table


def _sql(vendor: str) -> str:
    smaller = "LEAST" if vendor == "postgresql" else "MIN"
    elapsed = f"(excluded.updated - {_TABLE}.updated)"
    refill = f"{smaller}(%(burst)s, {_TABLE}.tokens + {elapsed} * %(rate)s)"
    return (
        f"INSERT INTO {_TABLE} (key, tokens, updated, allowed) "
        f"VALUES (%(key)s, %(burst)s - 1, %(now)s, TRUE) "
        f"ON CONFLICT (key) DO UPDATE SET "
        f"tokens = CASE WHEN {refill} >= 1 THEN {refill} - 1 ELSE {refill} END, "
        f"allowed = ({refill} >= 1), "
        f"updated = excluded.updated "
        f"RETURNING tokens, allowed"
    )


def rate_limit_take(key: str, *, rate: float | None = None) -> None:
    """Take one request from `key`'s bucket; refuse with `rate_limited` (and when to retry)
    when it is empty. Does nothing when the limit is off (0)."""
    rate = float(settings.RATE_LIMIT if rate is None else rate)
    if rate <= 0:
        return
    params: dict[str, str | float] = {
        "key": key[:100],
        "burst": 2 * rate,
        "rate": rate,
        "now": clock.now().timestamp(),
    }
    with connection.cursor() as cursor:
        cursor.execute(_sql(connection.vendor), params)
        tokens, allowed = cursor.fetchone()
    if not allowed:
        raise RateLimited(math.ceil((1 - tokens) / rate))
