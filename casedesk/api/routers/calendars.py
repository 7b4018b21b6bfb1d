"""Business-hours calendars: `/calendars`, `/calendars/{id}` (docs/service-levels.md)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from pydantic import Field, StringConstraints

from casedesk.api.auth import actor
from casedesk.api.http import if_match, page_body, set_etag
from casedesk.api.schemas import In, ListParams, Out, errors
from casedesk.core.pagination import paginate
from casedesk.core.types import Code, Day, Name, ShortText
from casedesk.sla import selectors
from casedesk.sla.calendar import MAX_HOLIDAYS, MAX_INTERVALS_PER_DAY, WEEKDAYS
from casedesk.sla.models import Calendar
from casedesk.sla.services import calendars

router = Router(tags=["calendars"])

WallTime = Annotated[str, StringConstraints(min_length=1, max_length=5)]
Interval = Annotated[list[WallTime], Field(min_length=2, max_length=2)]
Week = Annotated[
    dict[
        Annotated[str, StringConstraints(max_length=20)],
        Annotated[list[Interval], Field(max_length=MAX_INTERVALS_PER_DAY)],
    ],
    Field(max_length=len(WEEKDAYS)),
]
Holidays = Annotated[list[Day], Field(max_length=MAX_HOLIDAYS)]


class CalendarOut(Out):
    id: str
    name: str
    time_zone: str
    week: dict[str, list[list[str]]]
    holidays: list[str]
    holiday_country: str | None
    version: int
    created_at: str
    modified_at: str


class CalendarPage(Out):
    items: list[CalendarOut]
    next: str | None


class CalendarIn(In):
    name: Name
    time_zone: ShortText
    week: Week
    holidays: Holidays = Field(default_factory=list)
    holiday_country: Code | None = None


class CalendarPatch(In):
    name: Name | None = None
    time_zone: ShortText | None = None
    week: Week | None = None
    holidays: Holidays | None = None
    holiday_country: Code | None = None


def calendar_out(calendar: Calendar) -> dict[str, Any]:
    return {
        "id": str(calendar.id),
        "name": calendar.name,
        "time_zone": calendar.time_zone,
        "week": calendar.week,
        "holidays": calendar.holidays,
        "holiday_country": calendar.holiday_country,
        "version": calendar.version,
        "created_at": calendar.created_at.isoformat(),
        "modified_at": calendar.modified_at.isoformat(),
    }


def _calendar_response(response: HttpResponse, calendar_id: uuid.UUID) -> dict[str, Any]:
    calendar = selectors.calendar_get(calendar_id=calendar_id)
    set_etag(response, calendar.version)
    return calendar_out(calendar)


@router.get("/calendars", response={200: CalendarPage, **errors()})
def calendar_list(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    """Every business-hours calendar, by name."""
    actor(request)
    page = paginate(
        selectors.calendar_list(),
        order=("name", "id"),
        limit=params.limit,
        cursor=params.cursor,
        scope="calendars",
    )
    return page_body(page, calendar_out)


@router.post("/calendars", response={201: CalendarOut, **errors(403, 413, 422)})
def calendar_create(request: HttpRequest, payload: CalendarIn, response: HttpResponse) -> Status:
    """Create a calendar (managers): a time zone, working intervals per weekday, holidays."""
    calendar = calendars.calendar_create(
        actor=actor(request),
        name=payload.name,
        time_zone=payload.time_zone,
        week=payload.week,
        holidays=payload.holidays,
        holiday_country=payload.holiday_country,
    )
    return Status(201, _calendar_response(response, calendar.pk))


@router.get("/calendars/{calendar_id}", response={200: CalendarOut, **errors()})
def calendar_get(request: HttpRequest, calendar_id: uuid.UUID, response: HttpResponse) -> Any:
    actor(request)
    return _calendar_response(response, calendar_id)


@router.patch("/calendars/{calendar_id}", response={200: CalendarOut, **errors(403, 412, 413, 422)})
def calendar_update(
    request: HttpRequest, calendar_id: uuid.UUID, payload: CalendarPatch, response: HttpResponse
) -> Any:
    """Change a calendar (managers); `week` and `holidays` replace the whole value."""
    calendars.calendar_update(
        actor=actor(request),
        calendar_id=calendar_id,
        changes=payload.model_dump(exclude_unset=True),
        expected_version=if_match(request),
    )
    return _calendar_response(response, calendar_id)
