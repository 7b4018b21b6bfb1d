"""The business-hours arithmetic of casedesk.sla.calendar (docs/service-levels.md)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casedesk.sla.calendar import WEEKDAYS, BusinessCalendar, CalendarError

ROME = ZoneInfo("Europe/Rome")
OFFICE = {k: [["09:00", "13:00"], ["14:00", "18:00"]] for k in WEEKDAYS[:5]}


def rome(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ROME)  # type: ignore[misc]


def office(**kwargs: object) -> BusinessCalendar:
    return BusinessCalendar.build(time_zone="Europe/Rome", week=OFFICE, **kwargs)  # type: ignore[arg-type]


# -- examples -------------------------------------------------------------------------------


def test_adds_within_a_day_and_skips_lunch_and_weekend() -> None:
    cal = office()
    assert cal.add_business_minutes(rome(2026, 12, 4, 12, 0), 90) == rome(2026, 12, 4, 14, 30)
    # Friday 17:00 + 2 h: one hour on Friday, one on Monday.
    assert cal.add_business_minutes(rome(2026, 12, 4, 17, 0), 120) == rome(2026, 12, 7, 10, 0)
    # Saturday start counts from Monday's opening.
    assert cal.add_business_minutes(rome(2026, 12, 5, 10, 0), 1) == rome(2026, 12, 7, 9, 1)
    assert cal.business_minutes_between(rome(2026, 12, 4, 17, 0), rome(2026, 12, 7, 10, 0)) == 120


def test_zero_minutes_is_the_start_and_backwards_is_negative() -> None:
    cal = office()
    start = rome(2026, 12, 5, 10, 0)
    assert cal.add_business_minutes(start, 0) == start
    assert cal.business_minutes_between(rome(2026, 12, 7, 10), rome(2026, 12, 7, 9)) == -60
    with pytest.raises(ValueError):
        cal.add_business_minutes(start, -1)
    with pytest.raises(ValueError):
        cal.add_business_minutes(dt.datetime(2026, 12, 5, 10), 1)


def test_explicit_and_country_holidays_are_skipped() -> None:
    # 7 Dec 2026 is a Monday; 8 Dec (Immacolata) is an Italian public holiday.
    cal = office(holidays=["2026-12-07"], holiday_country="IT")
    assert cal.add_business_minutes(rome(2026, 12, 4, 18, 0), 1) == rome(2026, 12, 9, 9, 1)
    plain = office()
    assert plain.add_business_minutes(rome(2026, 12, 4, 18, 0), 1) == rome(2026, 12, 7, 9, 1)


def test_spring_forward_in_rome_counts_real_time() -> None:
    # 29 Mar 2026 02:00 CET -> 03:00 CEST. A Sunday 00:00-06:00 interval lasts 5 real hours.
    cal = BusinessCalendar.build(time_zone="Europe/Rome", week={"sun": [["00:00", "06:00"]]})
    start, end = rome(2026, 3, 29, 0, 0), rome(2026, 3, 29, 6, 0)
    assert cal.business_minutes_between(start, end) == 300
    assert cal.add_business_minutes(start, 300) == end
    assert cal.add_business_minutes(start, 120).astimezone(ROME) == rome(2026, 3, 29, 3, 0)


def test_an_interval_starting_in_the_skipped_hour_starts_at_the_change() -> None:
    cal = BusinessCalendar.build(time_zone="Europe/Rome", week={"sun": [["02:30", "04:00"]]})
    start = rome(2026, 3, 29, 0, 0)
    # 02:30 does not exist that night: the interval runs from 03:00 CEST to 04:00 CEST.
    assert cal.business_minutes_between(start, rome(2026, 3, 29, 5, 0)) == 60
    assert cal.add_business_minutes(start, 1) == dt.datetime(2026, 3, 29, 1, 1, tzinfo=dt.UTC)


def test_fall_back_in_rome_counts_the_repeated_hour() -> None:
    # 25 Oct 2026 03:00 CEST -> 02:00 CET: a Sunday 00:00-06:00 interval lasts 7 real hours.
    cal = BusinessCalendar.build(time_zone="Europe/Rome", week={"sun": [["00:00", "06:00"]]})
    start, end = rome(2026, 10, 25, 0, 0), rome(2026, 10, 25, 6, 0)
    assert cal.business_minutes_between(start, end) == 420
    assert cal.add_business_minutes(start, 420) == end


def test_office_hours_across_dst_weekend_stay_nine_to_six_local() -> None:
    cal = office()
    friday = rome(2026, 3, 27, 17, 0)
    monday = cal.add_business_minutes(friday, 120)
    assert monday == rome(2026, 3, 30, 10, 0)
    assert monday.utcoffset() == dt.timedelta(0)  # answered in UTC
    assert monday == dt.datetime(2026, 3, 30, 8, 0, tzinfo=dt.UTC)


def test_night_shift_spanning_midnight() -> None:
    # 22:00-24:00 and 00:00-06:00 join into one shift across midnight.
    week = {k: [["00:00", "06:00"], ["22:00", "24:00"]] for k in WEEKDAYS}
    cal = BusinessCalendar.build(time_zone="Europe/Rome", week=week)
    start = rome(2026, 12, 1, 23, 0)
    assert cal.add_business_minutes(start, 120) == rome(2026, 12, 2, 1, 0)
    assert cal.business_minutes_between(rome(2026, 12, 1, 12), rome(2026, 12, 2, 12)) == 480


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"week": {}}, "week"),
        ({"week": {k: [] for k in WEEKDAYS}}, "week"),
        ({"week": {"monday": [["09:00", "18:00"]]}}, "week"),
        ({"week": {"mon": [["9:00", "18:00"]]}}, "week.mon"),
        ({"week": {"mon": [["09:00", "24:01"]]}}, "week.mon"),
        ({"week": {"mon": [["18:00", "09:00"]]}}, "week.mon"),
        ({"week": {"mon": [["09:00", "09:00"]]}}, "week.mon"),
        ({"week": {"mon": [["09:00", "13:00"], ["12:00", "18:00"]]}}, "week.mon"),
        ({"week": {"mon": [["14:00", "18:00"], ["09:00", "13:00"]]}}, "week.mon"),
        ({"week": {"mon": [["09:00"]]}}, "week.mon"),
        ({"week": {"mon": "09:00-18:00"}}, "week.mon"),
        ({"holidays": ["2026-13-01"]}, "holidays"),
        ({"holiday_country": "XX"}, "holiday_country"),
    ],
)
def test_invalid_calendars_are_refused(fields: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"time_zone": "Europe/Rome", "week": OFFICE, **fields}
    with pytest.raises(CalendarError) as info:
        BusinessCalendar.build(**args)  # type: ignore[arg-type]
    assert list(info.value.fields) == [field]


def test_the_end_of_representable_time_is_a_value_error() -> None:
    cal = office()
    with pytest.raises(ValueError):
        cal.add_business_minutes(dt.datetime(9999, 12, 30, tzinfo=dt.UTC), 10_000)
    end = dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.UTC)
    # Measuring up to the last day needs the day after it: refused as a ValueError too.
    with pytest.raises(ValueError):
        cal.business_minutes_between(dt.datetime(9999, 12, 30, tzinfo=dt.UTC), end)


def test_touching_intervals_and_midnight_end_are_accepted() -> None:
    cal = BusinessCalendar.build(
        time_zone="Europe/Rome", week={"mon": [["00:00", "12:00"], ["12:00", "24:00"]]}
    )
    assert cal.week_text()["mon"] == [["00:00", "12:00"], ["12:00", "24:00"]]
    assert cal.week_text()["sun"] == []


# -- properties -----------------------------------------------------------------------------

_minute = st.integers(min_value=0, max_value=24 * 60)


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    week = {}
    for key in WEEKDAYS:
        cuts = sorted(draw(st.sets(_minute, max_size=6)))
        cuts = cuts[: len(cuts) // 2 * 2]
        week[key] = [
            [f"{a // 60:02d}:{a % 60:02d}", f"{b // 60:02d}:{b % 60:02d}"]
            for a, b in zip(cuts[::2], cuts[1::2], strict=True)
        ]
    if not any(week.values()):
        week["wed"] = [["10:00", "11:00"]]
    zone = draw(st.sampled_from(["Europe/Rome", "America/New_York", "Asia/Kolkata", "UTC"]))
    holidays = draw(st.lists(st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)), max_size=10))
    return BusinessCalendar.build(time_zone=zone, week=week, holidays=holidays)


instants = st.datetimes(
    min_value=dt.datetime(2026, 1, 1),
    max_value=dt.datetime(2027, 12, 31),
    timezones=st.just(dt.UTC),
)
amounts = st.integers(min_value=0, max_value=60 * 24 * 30)


@given(calendars(), instants, amounts)
def test_adding_then_measuring_gives_back_the_minutes(
    cal: BusinessCalendar, start: dt.datetime, minutes: int
) -> None:
    end = cal.add_business_minutes(start, minutes)
    assert end >= start
    assert cal.business_minutes_between(start, end) == minutes


@given(calendars(), instants, amounts, amounts)
def test_adding_is_monotonic(cal: BusinessCalendar, start: dt.datetime, m1: int, m2: int) -> None:
    low, high = sorted((m1, m2))
    assert cal.add_business_minutes(start, low) <= cal.add_business_minutes(start, high)


@given(calendars(), instants, instants, instants)
def test_measuring_is_monotonic_and_additive(
    cal: BusinessCalendar, a: dt.datetime, b: dt.datetime, c: dt.datetime
) -> None:
    a, b, c = sorted((a, b, c))
    ab, bc = cal.business_time_between(a, b), cal.business_time_between(b, c)
    assert dt.timedelta() <= ab
    assert dt.timedelta() <= bc
    assert ab + bc == cal.business_time_between(a, c)


@given(
    st.sampled_from(["Europe/Rome", "America/New_York", "Australia/Lord_Howe"]), instants, amounts
)
def test_always_open_calendar_is_wall_clock_time(
    zone: str, start: dt.datetime, minutes: int
) -> None:
    cal = BusinessCalendar.always(zone)
    end = cal.add_business_minutes(start, minutes)
    assert end == start + dt.timedelta(minutes=minutes)
    assert cal.business_minutes_between(start, end) == minutes


def test_a_calendar_is_built_once_per_definition_and_again_when_it_changes() -> None:
    """The days a built calendar has worked out serve the next request; a changed definition
    is a calendar of its own (casedesk.sla.models.Calendar.business_calendar)."""
    from casedesk.sla.models import Calendar

    week = {"mon": [["09:00", "17:00"]], "tue": [["09:00", "17:00"]]}
    one = Calendar(time_zone="Europe/Rome", week=week, holidays=["2026-12-08"])
    same = Calendar(time_zone="Europe/Rome", week=dict(week), holidays=["2026-12-08"])
    built = one.business_calendar()
    assert same.business_calendar() is built
    assert BusinessCalendar.always() is BusinessCalendar.always()
    changed = Calendar(time_zone="Europe/Rome", week=week, holidays=[])
    assert changed.business_calendar() is not built
    assert changed.business_calendar().holidays == frozenset()
    # The cached day boundaries answer like a calendar built afresh.
    fresh = BusinessCalendar.build(time_zone="Europe/Rome", week=week, holidays=["2026-12-08"])
    a = dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC)
    b = dt.datetime(2026, 12, 15, 8, tzinfo=dt.UTC)
    for _ in range(2):
        assert built.business_time_between(a, b) == fresh.business_time_between(a, b)
