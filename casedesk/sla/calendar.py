"""Business-hours calendars (docs/service-levels.md#business-hours): a time zone, working
intervals per weekday, holidays; and the arithmetic of working time on them.

Pure: no database. Working time is real elapsed time inside the working intervals, taken in the
calendar's time zone: an interval that spans a clock change counts the hour the clock skipped
or repeated as it really passed; a wall time the clock skipped begins or ends an interval at the
instant of the change.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import holidays as holidays_lib

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_MINUTES = 24 * 60
MAX_INTERVALS_PER_DAY = 24
MAX_HOLIDAYS = 1000
# A span with no working time this long means the calendar cannot progress (every day from
# here on is a holiday, which explicit holidays alone cannot be): give up instead of looping.
MAX_IDLE_DAYS = 3 * 366

_DAYS_KEPT = 4000  # dates whose intervals a calendar keeps (about eleven years)
_TIME = re.compile(r"^(?:([01]\d|2[0-3]):([0-5]\d)|(24):(00))$")
_UTC = dt.UTC

Interval = tuple[int, int]  # minutes since local midnight, start < end <= 1440


class CalendarError(ValueError):
    """An invalid calendar; `fields` maps a field name to a message."""

    def __init__(self, fields: Mapping[str, str]) -> None:
        self.fields = dict(fields)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.fields.items()))


def _minutes(text: object) -> int:
    if not isinstance(text, str):
        raise ValueError("must be a time HH:MM")
    match = _TIME.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a time HH:MM (00:00 to 24:00)")
    hours, minutes = (match.group(1), match.group(2)) if match.group(1) else ("24", "00")
    return int(hours) * 60 + int(minutes)


def _text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _day(key: str, value: object) -> tuple[Interval, ...]:
    if not isinstance(value, list | tuple):
        raise CalendarError({f"week.{key}": "must be a list of [start, end] pairs"})
    if len(value) > MAX_INTERVALS_PER_DAY:
        raise CalendarError({f"week.{key}": f"at most {MAX_INTERVALS_PER_DAY} intervals"})
    intervals: list[Interval] = []
    for pair in value:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise CalendarError({f"week.{key}": "each interval is a pair [start, end]"})
        try:
            start, end = _minutes(pair[0]), _minutes(pair[1])
        except ValueError as exc:
            raise CalendarError({f"week.{key}": str(exc)}) from None
        if start >= end:
            raise CalendarError({f"week.{key}": f"{pair[0]}-{pair[1]} ends before it starts"})
        if intervals and start < intervals[-1][1]:
            raise CalendarError({f"week.{key}": "intervals must be in order and must not overlap"})
        intervals.append((start, end))
    return tuple(intervals)


def _zone(name: object) -> ZoneInfo:
    if not isinstance(name, str) or name not in _zone_names():
        raise CalendarError({"time_zone": f"{name!r} is not a known IANA time zone"})
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError({"time_zone": f"{name!r} is not a known IANA time zone"}) from None


_ZONES: frozenset[str] | None = None


def _zone_names() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


def _country(code: object) -> str | None:
    if code is None:
        return None
    if not isinstance(code, str) or code not in holidays_lib.list_supported_countries():
        raise CalendarError({"holiday_country": f"{code!r} is not a supported country code"})
    return code


@dataclass(frozen=True)
class BusinessCalendar:
    """A validated calendar. Build it with `BusinessCalendar.build` (or `always` for 24x7)."""

    time_zone: ZoneInfo
    week: tuple[tuple[Interval, ...], ...]  # Monday first, seven days
    holidays: frozenset[dt.date] = frozenset()
    holiday_country: str | None = None
    _country_days: Any = field(default=None, compare=False, hash=False, repr=False)
    # The working intervals of the dates asked about, as UTC instants: a calendar is immutable
    # and the same few days are asked about again and again (every case's deadlines).
    _days: dict[dt.date, list[tuple[dt.datetime, dt.datetime]]] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )
    _starts: dict[dt.date, dt.datetime] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )

    @classmethod
    def build(
        cls,
        *,
        time_zone: object,
        week: object,
        holidays: Iterable[dt.date | str] = (),
        holiday_country: object = None,
    ) -> BusinessCalendar:
        """Validate the shape and build; `CalendarError` names the offending field. Missing
        weekdays have no working time; a week without any working time is refused."""
        zone = _zone(time_zone)
        if not isinstance(week, Mapping):
            raise CalendarError({"week": "must be an object of weekdays"})
        unknown = sorted(str(k) for k in week if k not in WEEKDAYS)
        if unknown:
            raise CalendarError(
                {"week": f"unknown weekday {', '.join(unknown)}; use {', '.join(WEEKDAYS)}"}
            )
        days = tuple(_day(key, week.get(key, [])) for key in WEEKDAYS)
        if not any(days):
            raise CalendarError({"week": "has no working time"})
        dates = _dates(holidays)
        country = _country(holiday_country)
        country_days = holidays_lib.country_holidays(country) if country else None
        return cls(zone, days, dates, country, country_days)

    @classmethod
    def always(cls, time_zone: str = "UTC") -> BusinessCalendar:
        """Every minute of every day (what a case without a calendar runs on); one per time
        zone and process, so that the days it has worked out are kept."""
        return _always(time_zone)

    def week_text(self) -> dict[str, list[list[str]]]:
        return {
            key: [[_text(s), _text(e)] for s, e in day]
            for key, day in zip(WEEKDAYS, self.week, strict=True)
        }

    # -- arithmetic ---------------------------------------------------------------------

    def is_holiday(self, day: dt.date) -> bool:
        if day in self.holidays:
            return True
        return self._country_days is not None and day in self._country_days

    def intervals_on(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The working intervals of a local date, as UTC instants (empty ones dropped)."""
        found = self._days.get(day)
        if found is None:
            if len(self._days) >= _DAYS_KEPT:
                self._days.clear()
            found = self._days[day] = self._intervals_on(day)
        return found

    def _day_start(self, day: dt.date) -> dt.datetime:
        """The UTC instant of the local midnight starting `day`, kept like its intervals."""
        found = self._starts.get(day)
        if found is None:
            if len(self._starts) >= _DAYS_KEPT:
                self._starts.clear()
            found = self._starts[day] = self._instant(day, 0)
        return found

    def _intervals_on(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        if self.is_holiday(day):
            return []
        result = []
        for start, end in self.week[day.weekday()]:
            a, b = self._instant(day, start), self._instant(day, end)
            if b > a:
                result.append((a, b))
        return result

    def _instant(self, day: dt.date, minutes: int) -> dt.datetime:
        """The UTC instant of a wall time of `day` (24:00 is the next midnight). An ambiguous
        wall time is its first occurrence; a skipped one is the instant of the change."""
        day, minutes = day + dt.timedelta(days=minutes // DAY_MINUTES), minutes % DAY_MINUTES
        wall = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), self.time_zone)
        instant = wall.astimezone(_UTC)
        if instant.astimezone(self.time_zone).replace(tzinfo=None) == wall.replace(tzinfo=None):
            return instant
        # Skipped: the change lies between the readings with the offset after and before it.
        low = wall.replace(fold=1).astimezone(_UTC)
        high = instant
        while high - low > dt.timedelta(seconds=1):
            mid = low + (high - low) / 2
            mid = mid.replace(microsecond=0)
            if mid.astimezone(self.time_zone).replace(tzinfo=None) >= wall.replace(tzinfo=None):
                high = mid
            else:
                low = mid
        return high

    def _days_from(self, moment: dt.datetime) -> Iterable[dt.date]:
        day = moment.astimezone(self.time_zone).date() - dt.timedelta(days=1)
        while True:
            yield day
            day += dt.timedelta(days=1)

    def add_business_minutes(self, start: dt.datetime, minutes: float) -> dt.datetime:
        """The instant when `minutes` of working time have passed since `start` (an aware
        datetime; answered in UTC). Zero minutes is `start` itself. `ValueError` when the
        answer lies beyond the year 9999."""
        try:
            return self._add(start, minutes)
        except OverflowError:
            raise ValueError("the answer lies beyond the year 9999") from None

    def _add(self, start: dt.datetime, minutes: float) -> dt.datetime:
        _aware(start, "start")
        if minutes < 0:
            raise ValueError("minutes must not be negative")
        remaining = dt.timedelta(minutes=minutes)
        current = start.astimezone(_UTC)
        if not remaining:
            return current
        idle = 0
        for day in self._days_from(current):
            worked = False
            for a, b in self.intervals_on(day):
                if b <= current:
                    continue
                begin = max(a, current)
                available = b - begin
                worked = True
                if remaining <= available:
                    return begin + remaining
                remaining -= available
                current = b
            idle = 0 if worked else idle + 1
            if idle > MAX_IDLE_DAYS:
                raise ValueError("the calendar has no working time from here on")
        raise AssertionError("unreachable")  # pragma: no cover

    def business_time_between(self, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
        """Working time from `a` to `b` (negative when `b` is before `a`)."""
        try:
            return self._between(a, b)
        except OverflowError:
            raise ValueError("the span reaches beyond the year 9999") from None

    def _between(self, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
        _aware(a, "a")
        _aware(b, "b")
        if b < a:
            return -self._between(b, a)
        a, b = a.astimezone(_UTC), b.astimezone(_UTC)
        total = dt.timedelta()
        for day in self._days_from(a):
            intervals = self.intervals_on(day)
            for start, end in intervals:
                if start >= b:
                    return total
                lo, hi = max(start, a), min(end, b)
                if hi > lo:
                    total += hi - lo
            if self._day_start(day) >= b:
                return total
        raise AssertionError("unreachable")  # pragma: no cover

    def business_minutes_between(self, a: dt.datetime, b: dt.datetime) -> float:
        """Working minutes from `a` to `b` (negative when `b` is before `a`)."""
        return self.business_time_between(a, b) / dt.timedelta(minutes=1)


@functools.lru_cache(maxsize=64)
def _always(time_zone: str) -> BusinessCalendar:
    return BusinessCalendar.build(
        time_zone=time_zone, week={k: [["00:00", "24:00"]] for k in WEEKDAYS}
    )


def _aware(value: dt.datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")


def _dates(values: Iterable[dt.date | str]) -> frozenset[dt.date]:
    result = set()
    items: Sequence[dt.date | str] = list(values)
    if len(items) > MAX_HOLIDAYS:
        raise CalendarError({"holidays": f"at most {MAX_HOLIDAYS} dates"})
    for value in items:
        if isinstance(value, dt.datetime):
            raise CalendarError({"holidays": "dates only, YYYY-MM-DD"})
        if isinstance(value, dt.date):
            result.add(value)
            continue
        try:
            result.add(dt.date.fromisoformat(value))
        except (TypeError, ValueError):
            raise CalendarError({"holidays": f"{value!r} is not a date YYYY-MM-DD"}) from None
    return frozenset(result)
