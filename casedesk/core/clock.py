"""The time source; one place to read 'now' so tests and services agree."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone

# How far behind the real time `now()` answers: zero, except while `casedesk demo` writes a
# history that happened over past weeks (`behind`). Per process, not per thread: nothing that
# serves requests or runs jobs sets it.
_behind = dt.timedelta(0)


def now() -> dt.datetime:
    return timezone.now() - _behind


def today() -> dt.date:
    return now().astimezone(dt.UTC).date()


@contextmanager
def behind(delta: dt.timedelta) -> Iterator[None]:
    """Within the block, `now()` is `delta` earlier than the real time (never later): for a
    command that records what happened in the past through the ordinary services."""
    global _behind
    if delta < dt.timedelta(0):
        raise ValueError("the clock may be set back, never forward")
    saved, _behind = _behind, delta
    try:
        yield
    finally:
        _behind = saved
