"""When a failed delivery is tried again, and when it is given up (docs/webhooks.md#retries).
Pure: no database, no clock."""

from __future__ import annotations

import datetime as dt

FIRST_RETRY = dt.timedelta(seconds=15)
LONGEST_WAIT = dt.timedelta(hours=1)
GIVE_UP_AFTER = dt.timedelta(hours=24)
# A worker's claim on a delivery: longer than an attempt can last (the timeout is 10 s).
LEASE = dt.timedelta(seconds=60)
TIMEOUT_SECONDS = 10.0


def retry_delay(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failed attempt: 15 s, 30 s, 1 min, 2 min, ... doubling
    up to an hour."""
    if attempts < 1:
        return dt.timedelta(0)
    seconds = FIRST_RETRY.total_seconds() * 2 ** min(attempts - 1, 20)
    return min(dt.timedelta(seconds=seconds), LONGEST_WAIT)


def next_attempt_at(
    *, created_at: dt.datetime, now: dt.datetime, attempts: int
) -> dt.datetime | None:
    """When to try a delivery created at `created_at` again after its `attempts`-th failure at
    `now`; None when it is to be given up (24 hours have passed). The last attempt is made at
    the 24-hour mark itself."""
    deadline = created_at + GIVE_UP_AFTER
    if now >= deadline:
        return None
    return min(now + retry_delay(attempts), deadline)
