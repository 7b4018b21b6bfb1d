"""When the demo's stories happened: spread over the past weeks, so lists, ages and the
dashboard's charts look like a help desk that has been running, not one filled a second ago.

A story (a case created, worked on, resolved) is written through the ordinary services with the
clock set back (`casedesk.core.clock.behind`); the points are spread evenly between two ages,
with a deterministic jitter of the hour so the cases do not all open at the same minute.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from casedesk.core import clock

# How long ago the demo organisation, its users and its customers were set up: before the
# oldest of its cases.
FOUNDED = dt.timedelta(days=95)


class Timeline:
    """`count` points from `oldest` days ago to `newest` days ago, oldest first."""

    def __init__(self, *, oldest: float, newest: float, count: int) -> None:
        if not oldest >= newest >= 0 or count < 1:
            raise ValueError("a timeline runs from an older age to a newer one")
        self.oldest = dt.timedelta(days=oldest)
        self.newest = dt.timedelta(days=newest)
        self.count = count

    def age(self, index: int) -> dt.timedelta:
        """How long ago point `index` is (0: the oldest)."""
        step = (self.oldest - self.newest) / max(self.count - 1, 1)
        jitter = dt.timedelta(minutes=(index * 137) % 300)
        return max(self.oldest - step * index - jitter, dt.timedelta(0))

    @contextmanager
    def at(self, index: int, later: dt.timedelta = dt.timedelta(0)) -> Iterator[None]:
        """The clock at point `index`, or `later` after it (never past the real time)."""
        with clock.behind(max(self.age(index) - later, dt.timedelta(0))):
            yield
