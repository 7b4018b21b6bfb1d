"""Business-hours calendars (docs/service-levels.md#business-hours): managers create and edit
them; every write is validated as a whole and audited."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction

from casedesk.core import clock
from casedesk.core.audit import audit_record
from casedesk.core.choices import Channel
from casedesk.core.concurrency import ExpectedVersion, check_version
from casedesk.core.errors import ValidationFailed
from casedesk.directory.access import Actor, require_role
from casedesk.directory.choices import Role
from casedesk.sla.calendar import BusinessCalendar, CalendarError
from casedesk.sla.locks import calendar_lock
from casedesk.sla.models import Calendar

CALENDAR_WRITABLE = frozenset({"name", "time_zone", "week", "holidays", "holiday_country"})


def _validated(
    *,
    time_zone: object,
    week: object,
    holidays: Iterable[dt.date | str],
    holiday_country: object,
) -> BusinessCalendar:
    try:
        return BusinessCalendar.build(
            time_zone=time_zone, week=week, holidays=holidays, holiday_country=holiday_country
        )
    except CalendarError as exc:
        raise ValidationFailed(exc.fields) from None


def _name(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed({"name": "is required"})
    return value


def _store(calendar: Calendar, business: BusinessCalendar) -> None:
    """Keep the normalised shape: every weekday, sorted distinct dates."""
    calendar.time_zone = business.time_zone.key
    calendar.week = business.week_text()
    calendar.holidays = [d.isoformat() for d in sorted(business.holidays)]
    calendar.holiday_country = business.holiday_country


def _state(calendar: Calendar) -> dict[str, Any]:
    return {
        "name": calendar.name,
        "time_zone": calendar.time_zone,
        "week": calendar.week,
        "holidays": calendar.holidays,
        "holiday_country": calendar.holiday_country,
    }


@transaction.atomic
def calendar_create(
    *,
    actor: Actor,
    name: str,
    time_zone: str,
    week: Mapping[str, Any],
    holidays: Iterable[dt.date | str] = (),
    holiday_country: str | None = None,
    channel: str = Channel.API,
) -> Calendar:
    """Create a calendar. Managers only (`forbidden`); `validation_error` names the field."""
    require_role(actor, Role.MANAGER, "Only managers create calendars.")
    business = _validated(
        time_zone=time_zone, week=week, holidays=holidays, holiday_country=holiday_country
    )
    now = clock.now()
    calendar = Calendar(name=_name(name), created_at=now, modified_at=now)
    _store(calendar, business)
    calendar.save()
    audit_record(
        actor=actor,
        action="create",
        channel=channel,
        entity=calendar,
        entity_type="calendar",
        changes={k: [None, v] for k, v in _state(calendar).items()},
    )
    return calendar


@transaction.atomic
def calendar_update(
    *,
    actor: Actor,
    calendar_id: uuid.UUID,
    changes: Mapping[str, Any],
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> Calendar:
    """Change a calendar (a merge patch; `week` and `holidays` replace the whole value).

    Managers only. Refuse with `not_found`, `forbidden`, `version_mismatch`, `validation_error`.
    """
    require_role(actor, Role.MANAGER, "Only managers edit calendars.")
    calendar = calendar_lock(calendar_id)
    check_version(expected_version, calendar.version)
    unknown = set(changes) - CALENDAR_WRITABLE
    if unknown:
        raise ValidationFailed({name: "is not a writable field" for name in sorted(unknown)})
    for required in ("time_zone", "week", "holidays"):
        if required in changes and changes[required] is None:
            raise ValidationFailed({required: "may not be cleared"})
    before = _state(calendar)
    if "name" in changes:
        calendar.name = _name(changes["name"])
    merged = {k: changes.get(k, before[k]) for k in CALENDAR_WRITABLE - {"name"}}
    _store(calendar, _validated(**merged))
    after = _state(calendar)
    if after == before:
        return calendar
    calendar.version += 1
    calendar.modified_at = clock.now()
    calendar.save()
    audit_record(
        actor=actor,
        action="update",
        channel=channel,
        entity=calendar,
        entity_type="calendar",
        changes={k: [before[k], after[k]] for k in after if before[k] != after[k]},
    )
    return calendar
