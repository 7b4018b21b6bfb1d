"""An entitlement's own SLA, `sla_id` (docs/service-levels.md#an-entitlements-sla)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from casedesk.core.models import AuditEntry
from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db
ZERO = "00000000-0000-0000-0000-000000000000"
Json = dict[str, Any]


def _sla(api: Api, name: str = "Gold") -> Json:
    item = {
        "name": "Respond",
        "kpi": "first_response",
        "warn_after_minutes": 30,
        "fail_after_minutes": 60,
    }
    response = api.post("/api/v1/slas", {"name": name, "items": [item]})
    assert response.status_code == 201, response.content
    return response.json()


def test_entitlement_names_its_sla_and_answers_it(
    manager_api: Api, agent_api: Api, make_entitlement: Callable[..., Json]
) -> None:
    sla = _sla(manager_api)
    entitlement = make_entitlement(activate=False, sla_id=sla["id"])
    assert entitlement["sla_id"] == sla["id"]
    assert agent_api.get(f"/api/v1/entitlements/{entitlement['id']}").json()["sla_id"] == sla["id"]
    created = AuditEntry.objects.get(entity_id=entitlement["id"], action="create")
    assert created.changes["sla_id"] == [None, sla["id"]]


def test_without_sla_id_the_entitlement_has_none(make_entitlement: Callable[..., Json]) -> None:
    assert make_entitlement(activate=False)["sla_id"] is None


def test_a_draft_changes_and_clears_its_sla_audited(
    manager_api: Api, make_entitlement: Callable[..., Json]
) -> None:
    gold, silver = _sla(manager_api, "Gold"), _sla(manager_api, "Silver")
    entitlement = make_entitlement(activate=False, sla_id=gold["id"])
    url = f"/api/v1/entitlements/{entitlement['id']}"
    changed = manager_api.patch(url, {"sla_id": silver["id"]})
    assert changed.status_code == 200 and changed.json()["sla_id"] == silver["id"]
    cleared = manager_api.patch(url, {"sla_id": None}).json()
    assert cleared["sla_id"] is None and cleared["version"] == entitlement["version"] + 2
    updates = AuditEntry.objects.filter(entity_id=entitlement["id"], action="update").order_by("id")
    assert [e.changes["sla_id"] for e in updates] == [
        [gold["id"], silver["id"]],
        [silver["id"], None],
    ]


def test_an_unknown_sla_is_refused(manager_api: Api, make_entitlement: Callable[..., Json]) -> None:
    entitlement = make_entitlement(activate=False)
    error = assert_error(
        manager_api.patch(f"/api/v1/entitlements/{entitlement['id']}", {"sla_id": ZERO}),
        422,
        "validation_error",
    )
    assert error["details"]["fields"] == {"sla_id": "no such SLA"}
    body = {
        "name": "E",
        "customer": {"type": "account", "id": entitlement["customer"]["id"]},
        "start_date": entitlement["start_date"],
        "end_date": entitlement["end_date"],
        "allocation_type": "cases",
        "total_terms": 1,
        "sla_id": ZERO,
    }
    error = assert_error(manager_api.post("/api/v1/entitlements", body), 422, "validation_error")
    assert "sla_id" in error["details"]["fields"]


def test_an_active_entitlement_keeps_its_sla_like_its_other_terms(
    manager_api: Api, make_entitlement: Callable[..., Json]
) -> None:
    sla = _sla(manager_api)
    entitlement = make_entitlement()
    assert_error(
        manager_api.patch(f"/api/v1/entitlements/{entitlement['id']}", {"sla_id": sla["id"]}),
        409,
        "entitlement_state",
    )


def test_an_inactive_sla_may_be_named_before_it_is_activated(
    manager_api: Api, make_entitlement: Callable[..., Json]
) -> None:
    sla = _sla(manager_api)
    assert sla["active"] is False
    assert make_entitlement(activate=False, sla_id=sla["id"])["sla_id"] == sla["id"]
