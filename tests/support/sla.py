"""SLAs for tests, written straight to the database (active unless told)."""

from __future__ import annotations

from typing import Any

from casedesk.core import clock
from casedesk.sla.models import Calendar, Sla, SlaItem

OFFICE_WEEK = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def make_calendar(**fields: Any) -> Calendar:
    now = clock.now()
    values: dict[str, Any] = {
        "name": "Office",
        "time_zone": "Europe/Rome",
        "week": OFFICE_WEEK,
        "holidays": [],
        "holiday_country": None,
        "created_at": now,
        "modified_at": now,
    }
    values.update(fields)
    return Calendar.objects.create(**values)


def make_sla(
    *items: dict[str, Any],
    name: str = "Standard",
    is_default: bool = True,
    active: bool = True,
    pause_statuses: tuple[str, ...] = ("on_hold", "waiting_for_details"),
) -> Sla:
    """An SLA with `items` (each `{"kpi", "warn", "fail"}` and optionally `conditions`,
    `calendar`, `name`); without items, first response 60/120 and resolve 480/960 minutes."""
    now = clock.now()
    sla = Sla.objects.create(
        name=name,
        is_default=is_default,
        active=active,
        pause_statuses=list(pause_statuses),
        created_at=now,
        modified_at=now,
    )
    given = items or (
        {"kpi": "first_response", "warn": 60, "fail": 120},
        {"kpi": "resolve", "warn": 480, "fail": 960},
    )
    for position, item in enumerate(given, start=1):
        SlaItem.objects.create(
            sla=sla,
            position=position,
            name=item.get("name", f"{item['kpi']} {position}"),
            kpi=item["kpi"],
            conditions=item.get("conditions", []),
            calendar=item.get("calendar"),
            warn_after_minutes=item["warn"],
            fail_after_minutes=item["fail"],
        )
    return sla
