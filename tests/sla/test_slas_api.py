"""SLAs through the API: managers write them, everyone reads them, an active SLA is read-only
(docs/service-levels.md#slas)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from casedesk.core.models import AuditEntry
from casedesk.sla.models import Sla
from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db
ZERO = "00000000-0000-0000-0000-000000000000"
CALENDAR = {"name": "Office", "time_zone": "Europe/Rome", "week": {"mon": [["09:00", "18:00"]]}}


def _item(**fields: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "name": "High priority response",
        "kpi": "first_response",
        "conditions": [{"field": "priority", "op": "eq", "value": "high"}],
        "calendar_id": None,
        "warn_after_minutes": 30,
        "fail_after_minutes": 60,
        "on_warning": [{"type": "notify", "to": "owner"}],
        "on_failure": [
            {"type": "notify", "to": "manager"},
            {"type": "set_priority", "value": "high"},
        ],
    }
    item.update(fields)
    return item


def _body(**fields: Any) -> dict[str, Any]:
    return {"name": "Standard", "items": [_item()], **fields}


def _create(api: Api, **fields: Any) -> dict[str, Any]:
    response = api.post("/api/v1/slas", _body(**fields))
    assert response.status_code == 201, response.content
    return response.json()


def test_manager_creates_an_inactive_sla_with_defaults_and_audit(manager_api: Api) -> None:
    response = manager_api.post("/api/v1/slas", _body())
    assert response.status_code == 201, response.content
    sla = response.json()
    assert response["ETag"] == '"1"'
    assert set(sla) == {
        "id",
        "name",
        "is_default",
        "active",
        "pause_statuses",
        "items",
        "version",
        "created_at",
        "modified_at",
    }
    assert (sla["active"], sla["is_default"], sla["version"]) == (False, False, 1)
    assert sla["pause_statuses"] == ["on_hold", "waiting_for_details"]
    assert sla["items"] == [_item()]
    assert AuditEntry.objects.filter(entity_id=sla["id"], action="create").count() == 1


def test_items_keep_their_order_calendar_and_queue_action(manager_api: Api) -> None:
    calendar = manager_api.post("/api/v1/calendars", CALENDAR).json()
    queue = manager_api.post("/api/v1/queues", {"name": "Escalations", "type": "public"}).json()
    items = [
        _item(name="B", kpi="resolve", calendar_id=calendar["id"], conditions=[]),
        _item(name="A", on_failure=[{"type": "queue", "queue_id": queue["id"]}]),
    ]
    sla = _create(manager_api, items=items)
    assert [i["name"] for i in sla["items"]] == ["B", "A"]
    assert sla["items"][0]["calendar_id"] == calendar["id"]
    assert sla["items"][1]["on_failure"] == [{"type": "queue", "queue_id": queue["id"]}]


def test_agent_reads_but_may_not_write(manager_api: Api, agent_api: Api) -> None:
    sla = _create(manager_api)
    url = f"/api/v1/slas/{sla['id']}"
    assert [s["id"] for s in agent_api.get("/api/v1/slas").json()["items"]] == [sla["id"]]
    got = agent_api.get(url)
    assert got.status_code == 200 and got["ETag"] == '"1"' and got.json() == sla
    assert_error(agent_api.post("/api/v1/slas", _body()), 403, "forbidden")
    assert_error(agent_api.patch(url, {"name": "x"}), 403, "forbidden")
    assert_error(agent_api.post(f"{url}/activate"), 403, "forbidden")
    assert_error(agent_api.post(f"{url}/deactivate"), 403, "forbidden")
    assert Sla.objects.get().active is False


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"items": []}, "items"),
        ({"pause_statuses": ["resolved"]}, "pause_statuses.0"),
        ({"pause_statuses": ["on_hold", "problem_solved"]}, "pause_statuses.1"),
        ({"items": [_item(), _item(name="HIGH PRIORITY RESPONSE")]}, "items.1.name"),
        ({"items": [_item(kpi="uptime")]}, "items.0.kpi"),
        ({"items": [_item(warn_after_minutes=0)]}, "items.0.warn_after_minutes"),
        ({"items": [_item(fail_after_minutes=525_601)]}, "items.0.fail_after_minutes"),
        ({"items": [_item(warn_after_minutes="30")]}, "items.0.warn_after_minutes"),
        ({"items": [_item(warn_after_minutes=90)]}, "items.0.warn_after_minutes"),
        ({"items": [_item(calendar_id=ZERO)]}, "items.0.calendar_id"),
        (
            {
                "items": [
                    _item(),
                    _item(
                        name="B", conditions=[{"field": "priority", "op": "eq", "value": "urgent"}]
                    ),
                ]
            },
            "items.1.conditions.0.value",
        ),
        (
            {"items": [_item(conditions=[{"field": "colour", "op": "eq", "value": "x"}])]},
            "items.0.conditions.0.field",
        ),
        (
            {"items": [_item(on_warning=[{"type": "notify", "to": "everyone"}])]},
            "items.0.on_warning.0.to",
        ),
        (
            {"items": [_item(on_warning=[{"type": "notify", "to": "owner", "value": "high"}])]},
            "items.0.on_warning.0.value",
        ),
        (
            {"items": [_item(on_failure=[{"type": "set_priority", "value": "urgent"}])]},
            "items.0.on_failure.0.value",
        ),
        (
            {"items": [_item(on_failure=[{"type": "queue", "queue_id": ZERO}])]},
            "items.0.on_failure.0.queue_id",
        ),
        ({"items": [_item(on_failure=[{"type": "page"}])]}, "items.0.on_failure.0.type"),
        (
            {"items": [_item(on_failure=[{"type": "notify", "to": "owner", "colour": "red"}])]},
            "items.0.on_failure.0.colour",
        ),
        ({"items": [_item(colour="red")]}, "items.0.colour"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_sla_is_refused_naming_the_place_and_nothing_is_stored(
    manager_api: Api, fields: dict[str, Any], field: str
) -> None:
    error = assert_error(manager_api.post("/api/v1/slas", _body(**fields)), 422, "validation_error")
    assert field in error["details"]["fields"], error
    assert Sla.objects.count() == 0


def test_patch_replaces_the_items_with_if_match(manager_api: Api) -> None:
    sla = _create(manager_api)
    url = f"/api/v1/slas/{sla['id']}"
    new_items = [
        _item(
            name="Resolve in a day", kpi="resolve", warn_after_minutes=480, fail_after_minutes=480
        )
    ]
    response = manager_api.patch(
        url, {"items": new_items, "pause_statuses": ["on_hold"]}, headers={"If-Match": '"1"'}
    )
    assert response.status_code == 200, response.content
    changed = response.json()
    assert changed["version"] == 2 and response["ETag"] == '"2"'
    assert changed["items"] == new_items and changed["pause_statuses"] == ["on_hold"]
    assert changed["name"] == "Standard"
    entry = AuditEntry.objects.get(entity_id=sla["id"], action="update")
    assert set(entry.changes) == {"items", "pause_statuses"}
    assert_error(
        manager_api.patch(url, {"name": "x"}, headers={"If-Match": '"1"'}), 412, "version_mismatch"
    )


def test_patch_that_changes_nothing_keeps_the_version(manager_api: Api) -> None:
    sla = _create(manager_api)
    response = manager_api.patch(
        f"/api/v1/slas/{sla['id']}", {"name": "Standard", "items": [_item()]}
    )
    assert response.status_code == 200 and response.json()["version"] == 1


def test_invalid_patch_changes_nothing(manager_api: Api) -> None:
    sla = _create(manager_api)
    url = f"/api/v1/slas/{sla['id']}"
    error = assert_error(
        manager_api.patch(url, {"name": "New", "items": [_item(kpi="x")]}), 422, "validation_error"
    )
    assert "items.0.kpi" in error["details"]["fields"]
    assert_error(manager_api.patch(url, {"items": None}), 422, "validation_error")
    assert manager_api.get(url).json() == sla


def test_active_sla_is_read_only_until_deactivated(manager_api: Api) -> None:
    sla = _create(manager_api)
    url = f"/api/v1/slas/{sla['id']}"
    activated = manager_api.post(f"{url}/activate", headers={"If-Match": '"1"'})
    assert activated.status_code == 200 and activated.json()["active"] is True
    assert activated["ETag"] == '"2"'
    error = assert_error(manager_api.patch(url, {"name": "Renamed"}), 409, "sla_active")
    assert error["details"] == {"sla_id": sla["id"]}
    assert_error(manager_api.patch(url, {"items": [_item()]}), 409, "sla_active")
    # Activating again changes nothing.
    assert manager_api.post(f"{url}/activate").json()["version"] == 2
    deactivated = manager_api.post(f"{url}/deactivate")
    assert deactivated.status_code == 200 and deactivated.json()["active"] is False
    assert manager_api.patch(url, {"name": "Renamed"}).json()["name"] == "Renamed"
    actions = list(
        AuditEntry.objects.filter(entity_id=sla["id"])
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "activate", "deactivate", "update"]


def test_several_slas_may_be_active_at_once(manager_api: Api) -> None:
    first, second = _create(manager_api, name="Gold"), _create(manager_api, name="Silver")
    for sla in (first, second):
        assert manager_api.post(f"/api/v1/slas/{sla['id']}/activate").status_code == 200
    assert Sla.objects.filter(active=True).count() == 2


def test_making_an_sla_the_default_clears_the_previous_default(manager_api: Api) -> None:
    gold = _create(manager_api, name="Gold", is_default=True)
    silver = _create(manager_api, name="Silver")
    response = manager_api.patch(f"/api/v1/slas/{silver['id']}", {"is_default": True})
    assert response.status_code == 200 and response.json()["is_default"] is True
    old = manager_api.get(f"/api/v1/slas/{gold['id']}").json()
    assert old["is_default"] is False and old["version"] == 2
    cleared = AuditEntry.objects.get(entity_id=gold["id"], action="update")
    assert cleared.changes == {"is_default": [True, False]}
    bronze = _create(manager_api, name="Bronze", is_default=True)
    assert list(Sla.objects.filter(is_default=True).values_list("id", flat=True)) == [
        uuid.UUID(bronze["id"])
    ]


def test_unknown_sla_is_not_found(manager_api: Api) -> None:
    for response in (
        manager_api.get(f"/api/v1/slas/{ZERO}"),
        manager_api.patch(f"/api/v1/slas/{ZERO}", {"name": "x"}),
        manager_api.post(f"/api/v1/slas/{ZERO}/activate"),
        manager_api.post(f"/api/v1/slas/{ZERO}/deactivate"),
    ):
        assert_error(response, 404, "not_found")


def test_list_pages_by_name(manager_api: Api) -> None:
    for name in ("C", "A", "B"):
        _create(manager_api, name=name)
    first = manager_api.get("/api/v1/slas", limit=2).json()
    assert [s["name"] for s in first["items"]] == ["A", "B"] and first["next"]
    rest = manager_api.get("/api/v1/slas", limit=2, cursor=first["next"]).json()
    assert [s["name"] for s in rest["items"]] == ["C"] and rest["next"] is None
