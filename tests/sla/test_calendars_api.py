"""Business-hours calendars through the API: managers write them, everyone reads them
(docs/service-levels.md#business-hours)."""

from __future__ import annotations

from typing import Any

import pytest

from casedesk.core.models import AuditEntry
from casedesk.sla.models import Calendar
from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db
ZERO = "00000000-0000-0000-0000-000000000000"
NINE_TO_SIX = [["09:00", "18:00"]]
BODY: dict[str, Any] = {
    "name": "Rome office",
    "time_zone": "Europe/Rome",
    "week": {"mon": NINE_TO_SIX, "tue": NINE_TO_SIX, "wed": NINE_TO_SIX, "sun": []},
    "holidays": ["2026-12-25", "2026-12-24", "2026-12-25"],
    "holiday_country": "IT",
}


def _create(api: Api, **fields: Any) -> dict[str, Any]:
    response = api.post("/api/v1/calendars", {**BODY, **fields})
    assert response.status_code == 201, response.content
    return response.json()


def test_manager_creates_a_calendar_normalised_and_audited(manager_api: Api) -> None:
    response = manager_api.post("/api/v1/calendars", BODY)
    assert response.status_code == 201, response.content
    calendar = response.json()
    assert response["ETag"] == '"1"'
    assert calendar["week"] == {
        "mon": NINE_TO_SIX,
        "tue": NINE_TO_SIX,
        "wed": NINE_TO_SIX,
        "thu": [],
        "fri": [],
        "sat": [],
        "sun": [],
    }
    assert calendar["holidays"] == ["2026-12-24", "2026-12-25"]
    assert (calendar["time_zone"], calendar["holiday_country"]) == ("Europe/Rome", "IT")
    assert AuditEntry.objects.filter(entity_id=calendar["id"], action="create").count() == 1


def test_agent_reads_but_may_not_write(manager_api: Api, agent_api: Api) -> None:
    calendar = _create(manager_api)
    listed = agent_api.get("/api/v1/calendars")
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()["items"]] == [calendar["id"]]
    got = agent_api.get(f"/api/v1/calendars/{calendar['id']}")
    assert got.status_code == 200 and got["ETag"] == '"1"'
    assert_error(agent_api.post("/api/v1/calendars", BODY), 403, "forbidden")
    assert_error(
        agent_api.patch(f"/api/v1/calendars/{calendar['id']}", {"name": "x"}), 403, "forbidden"
    )
    assert Calendar.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"time_zone": "Europe/Atlantis"}, "time_zone"),
        ({"week": {"mon": [], "sun": []}}, "week"),
        ({"week": {"monday": NINE_TO_SIX}}, "week"),
        ({"week": {"mon": [["9", "18:00"]]}}, "week.mon"),
        ({"week": {"mon": [["18:00", "09:00"]]}}, "week.mon"),
        ({"week": {"mon": [["09:00", "13:00"], ["12:00", "18:00"]]}}, "week.mon"),
        ({"week": {"mon": [["09:00", "13:00", "18:00"]]}}, "week.mon.0"),
        ({"holidays": ["25/12/2026"]}, "holidays.0"),
        ({"holiday_country": "ZZ"}, "holiday_country"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_calendar_is_refused_and_nothing_is_stored(
    manager_api: Api, fields: dict[str, Any], field: str
) -> None:
    error = assert_error(
        manager_api.post("/api/v1/calendars", {**BODY, **fields}), 422, "validation_error"
    )
    assert field in error["details"]["fields"], error
    assert Calendar.objects.count() == 0


def test_patch_changes_with_if_match_and_replaces_the_week(manager_api: Api) -> None:
    calendar = _create(manager_api)
    url = f"/api/v1/calendars/{calendar['id']}"
    response = manager_api.patch(
        url,
        {"week": {"sat": [["10:00", "12:00"]]}, "holiday_country": None},
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 200, response.content
    changed = response.json()
    assert changed["version"] == 2 and response["ETag"] == '"2"'
    assert changed["week"]["sat"] == [["10:00", "12:00"]] and changed["week"]["mon"] == []
    assert changed["holiday_country"] is None
    assert changed["holidays"] == calendar["holidays"]
    entry = AuditEntry.objects.get(entity_id=calendar["id"], action="update")
    assert set(entry.changes) == {"week", "holiday_country"}
    assert_error(
        manager_api.patch(url, {"name": "x"}, headers={"If-Match": '"1"'}), 412, "version_mismatch"
    )


def test_patch_that_changes_nothing_keeps_the_version(manager_api: Api) -> None:
    calendar = _create(manager_api)
    response = manager_api.patch(f"/api/v1/calendars/{calendar['id']}", {"name": BODY["name"]})
    assert response.status_code == 200 and response.json()["version"] == 1


def test_invalid_patch_changes_nothing(manager_api: Api) -> None:
    calendar = _create(manager_api)
    url = f"/api/v1/calendars/{calendar['id']}"
    error = assert_error(
        manager_api.patch(url, {"name": "New", "week": {"mon": []}}), 422, "validation_error"
    )
    assert "week" in error["details"]["fields"]
    assert_error(manager_api.patch(url, {"week": None}), 422, "validation_error")
    assert manager_api.get(url).json() == calendar


def test_unknown_calendar_is_not_found(manager_api: Api) -> None:
    assert_error(manager_api.get(f"/api/v1/calendars/{ZERO}"), 404, "not_found")
    assert_error(manager_api.patch(f"/api/v1/calendars/{ZERO}", {"name": "x"}), 404, "not_found")


def test_stored_calendar_computes_business_time(manager_api: Api) -> None:
    import datetime as dt

    calendar = Calendar.objects.get(id=_create(manager_api)["id"])
    business = calendar.business_calendar()
    # Wed 23 Dec 2026 17:00 Rome + 2 h: 24 and 25 Dec are holidays, then Monday 28 Dec.
    start = dt.datetime(2026, 12, 23, 16, 0, tzinfo=dt.UTC)
    assert business.add_business_minutes(start, 120) == dt.datetime(
        2026, 12, 28, 9, 0, tzinfo=dt.UTC
    )
