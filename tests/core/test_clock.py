"""The clock can be set back for a block (the demo's history), never forward."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from casedesk.core import clock
from casedesk.demo.timeline import Timeline


def _about(measured: dt.timedelta, expected: dt.timedelta) -> bool:
    """Equal but for the real time the test itself took."""
    return expected - dt.timedelta(minutes=1) < measured <= expected


def test_behind_sets_the_clock_back_within_the_block_only() -> None:
    real = clock.now()
    with clock.behind(dt.timedelta(days=10)):
        inside = clock.now()
        with clock.behind(dt.timedelta(days=2)):
            nested = clock.now()
        after_nested = clock.now()
    assert _about(real - inside, dt.timedelta(days=10))
    assert _about(real - nested, dt.timedelta(days=2))
    assert _about(real - after_nested, dt.timedelta(days=10))
    assert clock.now() >= real


def test_the_clock_is_never_set_forward() -> None:
    with pytest.raises(ValueError), clock.behind(dt.timedelta(seconds=-1)):
        pass


def test_a_timeline_runs_from_old_to_new_and_never_past_now() -> None:
    timeline = Timeline(oldest=90, newest=1, count=32)
    ages = [timeline.age(i) for i in range(32)]
    assert ages[0] <= dt.timedelta(days=90)
    assert ages[-1] >= dt.timedelta(days=1) - dt.timedelta(hours=5)
    assert all(a > b for a, b in itertools.pairwise(ages))
    with timeline.at(31, later=dt.timedelta(days=400)):
        assert clock.now() <= dt.datetime.now(dt.UTC)
