"""Entitlements through the API: create, read, edit, lifecycle, permissions
(docs/entitlements.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casedesk.core.models import AuditEntry
from tests.conftest import Api, assert_error
from tests.entitlements.conftest import Json, customer_of, days

pytestmark = pytest.mark.django_db
ZERO = "00000000-0000-0000-0000-000000000000"
URL = "/api/v1/entitlements"


def _body(account: Json, **fields: Any) -> Json:
    body: Json = {
        "name": "Support 2026",
        "customer": customer_of(account),
        "start_date": days(-1),
        "end_date": days(30),
        "allocation_type": "cases",
        "total_terms": 10,
    }
    body.update(fields)
    return body


def test_create_answers_a_draft_with_the_documented_defaults_when_minimal(
    manager_api: Api, account: Json
) -> None:
    response = manager_api.post(URL, _body(account))
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["ETag"] == '"1"'
    expected = {
        "version": 1,
        "name": "Support 2026",
        "customer": {"type": "account", "id": account["id"], "name": "Acme Srl"},
        "contact_ids": [],
        "product_ids": [],
        "state": "draft",
        "allocation_type": "cases",
        "total_terms": 10,
        "remaining_terms": 10,
        "decrease_on": "resolution",
        "restrict_case_creation": False,
        "is_default": False,
        "channels": [],
    }
    assert {k: body[k] for k in expected} == expected
    assert body["start_date"] == days(-1) and body["end_date"] == days(30)


def test_create_keeps_contacts_products_and_channels_when_given(
    manager_api: Api, account: Json, contact: Json, product: Json
) -> None:
    response = manager_api.post(
        URL,
        _body(
            account,
            contact_ids=[contact["id"]],
            product_ids=[product["id"]],
            channels=[{"channel": "phone", "terms": 5}, {"channel": "email", "terms": 2}],
            decrease_on="creation",
            restrict_case_creation=True,
        ),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["contact_ids"] == [contact["id"]]
    assert body["product_ids"] == [product["id"]]
    assert body["channels"] == [
        {"channel": "email", "terms": 2, "remaining_terms": 2},
        {"channel": "phone", "terms": 5, "remaining_terms": 5},
    ]
    assert body["decrease_on"] == "creation" and body["restrict_case_creation"] is True


def test_hours_are_rounded_to_minutes_and_shown_with_two_decimals_when_hours(
    manager_api: Api, account: Json
) -> None:
    response = manager_api.post(
        URL,
        _body(
            account,
            allocation_type="hours",
            total_terms=1.33,
            channels=[{"channel": "web", "terms": 0.5}],
        ),
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["total_terms"] == 1.33 and body["remaining_terms"] == 1.33
    assert body["channels"] == [{"channel": "web", "terms": 0.5, "remaining_terms": 0.5}]
    from casedesk.entitlements.models import Entitlement

    assert Entitlement.objects.get(id=body["id"]).total_terms == 80


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"allocation_type": "hours", "decrease_on": "creation"}, "decrease_on"),
        ({"allocation_type": "hours", "total_terms": 1.005}, "total_terms"),
        ({"total_terms": 2.5}, "total_terms"),
        ({"total_terms": -1}, "total_terms"),
        ({"total_terms": 10_000_001}, "total_terms"),
        ({"total_terms": "NaN"}, "total_terms"),
        ({"end_date": days(-10)}, "end_date"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "a\x00b"}, "name"),
        ({"allocation_type": "days"}, "allocation_type"),
        ({"decrease_on": "never"}, "decrease_on"),
        ({"customer": {"type": "account", "id": ZERO}}, "customer"),
        ({"customer": {"type": "team", "id": ZERO}}, "customer.type"),
        ({"product_ids": [ZERO]}, "product_ids"),
        ({"contact_ids": [ZERO]}, "contact_ids"),
        ({"channels": [{"channel": "fax", "terms": 1}]}, "channels.0.channel"),
        ({"channels": [{"channel": "phone", "terms": 11}]}, "channels"),
        (
            {"channels": [{"channel": "phone", "terms": 1}, {"channel": "phone", "terms": 2}]},
            "channels",
        ),
        ({"surprise": 1}, "surprise"),
        ({"start_date": "2026-02-30"}, "start_date"),
    ],
)
def test_create_is_refused_with_422_when_a_value_is_invalid(
    manager_api: Api, account: Json, fields: Json, field: str
) -> None:
    error = assert_error(manager_api.post(URL, _body(account, **fields)), 422, "validation_error")
    assert field in error["details"]["fields"], error


def test_create_needs_each_required_field(manager_api: Api, account: Json) -> None:
    for field in ("name", "customer", "start_date", "end_date", "allocation_type", "total_terms"):
        body = _body(account)
        del body[field]
        error = assert_error(manager_api.post(URL, body), 422, "validation_error")
        assert field in error["details"]["fields"]


def test_contacts_must_belong_to_the_customer_when_created(
    manager_api: Api, account: Json, other_account: Json
) -> None:
    stranger = manager_api.post(
        "/api/v1/contacts", {"last_name": "Rossi", "account_id": other_account["id"]}
    ).json()
    error = assert_error(
        manager_api.post(URL, _body(account, contact_ids=[stranger["id"]])),
        422,
        "validation_error",
    )
    assert "contact_ids" in error["details"]["fields"]


def test_a_contact_can_be_the_customer_when_the_customer_is_a_contact(
    manager_api: Api, contact: Json
) -> None:
    body = _body(contact, customer=customer_of(contact, "contact"), contact_ids=[contact["id"]])
    response = manager_api.post(URL, body)
    assert response.status_code == 201, response.content
    assert response.json()["customer"]["type"] == "contact"


def test_agents_read_but_do_not_write_entitlements(
    agent_api: Api, manager_api: Api, account: Json, make_entitlement: Callable[..., Json]
) -> None:
    assert_error(agent_api.post(URL, _body(account)), 403, "forbidden")
    entitlement = make_entitlement(activate=False)
    eid = entitlement["id"]
    assert agent_api.get(f"{URL}/{eid}").status_code == 200
    assert agent_api.get(URL).status_code == 200
    assert agent_api.get(f"{URL}/{eid}/ledger").status_code == 200
    assert_error(agent_api.patch(f"{URL}/{eid}", {"name": "x"}), 403, "forbidden")
    for action in ("activate", "deactivate", "cancel"):
        assert_error(agent_api.post(f"{URL}/{eid}/{action}"), 403, "forbidden")


def test_anonymous_callers_get_401_everywhere(
    anon_api: Api, make_entitlement: Callable[..., Json]
) -> None:
    eid = make_entitlement()["id"]
    assert_error(anon_api.get(URL), 401, "unauthenticated")
    assert_error(anon_api.get(f"{URL}/{eid}"), 401, "unauthenticated")
    assert_error(anon_api.get(f"{URL}/{eid}/ledger"), 401, "unauthenticated")
    assert_error(anon_api.patch(f"{URL}/{eid}", {"name": "x"}), 401, "unauthenticated")
    assert_error(anon_api.post(f"{URL}/{eid}/cancel"), 401, "unauthenticated")


def test_unknown_entitlements_answer_404(manager_api: Api) -> None:
    assert_error(manager_api.get(f"{URL}/{ZERO}"), 404, "not_found")
    assert_error(manager_api.get(f"{URL}/not-a-uuid"), 404, "not_found")
    assert_error(manager_api.get(f"{URL}/{ZERO}/ledger"), 404, "not_found")
    assert_error(manager_api.patch(f"{URL}/{ZERO}", {"name": "x"}), 404, "not_found")
    for action in ("activate", "deactivate", "cancel"):
        assert_error(manager_api.post(f"{URL}/{ZERO}/{action}"), 404, "not_found")


def test_the_lifecycle_goes_draft_active_draft_active_cancelled(
    manager_api: Api, make_entitlement: Callable[..., Json]
) -> None:
    eid = make_entitlement(activate=False)["id"]
    steps = [("activate", "active"), ("deactivate", "draft"), ("activate", "active")]
    version = 1
    for action, state in steps:
        response = manager_api.post(f"{URL}/{eid}/{action}", {})
        assert response.status_code == 200, response.content
        assert response.json()["state"] == state
        assert response.json()["version"] == version + 1
        assert response["ETag"] == f'"{version + 1}"'
        version += 1
    response = manager_api.post(f"{URL}/{eid}/cancel")
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    actions = list(
        AuditEntry.objects.filter(entity_type="entitlement", entity_id=eid)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "activate", "deactivate", "activate", "cancel"]


@pytest.mark.parametrize(
    ("setup", "action"),
    [
        ([], "deactivate"),
        ([], "cancel"),
        (["activate"], "activate"),
        (["activate", "cancel"], "activate"),
        (["activate", "cancel"], "deactivate"),
        (["activate", "cancel"], "cancel"),
    ],
)
def test_a_wrong_state_for_an_action_answers_409_entitlement_state(
    manager_api: Api, make_entitlement: Callable[..., Json], setup: list[str], action: str
) -> None:
    eid = make_entitlement(activate=False)["id"]
    for step in setup:
        assert manager_api.post(f"{URL}/{eid}/{step}").status_code == 200
    before = manager_api.get(f"{URL}/{eid}").json()
    assert_error(manager_api.post(f"{URL}/{eid}/{action}"), 409, "entitlement_state")
    assert manager_api.get(f"{URL}/{eid}").json() == before


def test_waiting_and_expired_are_shown_from_the_dates_when_active(
    manager_api: Api, make_entitlement: Callable[..., Json]
) -> None:
    waiting = make_entitlement(start_date=days(1), end_date=days(10))
    expired = make_entitlement(start_date=days(-10), end_date=days(-1))
    today_only = make_entitlement(start_date=days(0), end_date=days(0))
    assert waiting["state"] == "waiting"
    assert expired["state"] == "expired"
    assert today_only["state"] == "active"
    # Both are still active underneath: they can be deactivated or cancelled.
    assert manager_api.post(f"{URL}/{waiting['id']}/deactivate").json()["state"] == "draft"
    assert manager_api.post(f"{URL}/{expired['id']}/cancel").json()["state"] == "cancelled"


def test_list_filters_by_customer_and_shown_state(
    manager_api: Api,
    account: Json,
    other_account: Json,
    make_entitlement: Callable[..., Json],
) -> None:
    active = make_entitlement()
    draft = make_entitlement(activate=False)
    waiting = make_entitlement(start_date=days(3))
    expired = make_entitlement(start_date=days(-9), end_date=days(-2))
    other = make_entitlement(customer=customer_of(other_account))

    def ids(**query: Any) -> list[str]:
        response = manager_api.get(URL, **query)
        assert response.status_code == 200, response.content
        return [item["id"] for item in response.json()["items"]]

    mine = ids(customer_id=account["id"])
    assert set(mine) == {active["id"], draft["id"], waiting["id"], expired["id"]}
    assert mine == [expired["id"], waiting["id"], draft["id"], active["id"]]  # newest first
    assert ids(customer_id=other_account["id"]) == [other["id"]]
    assert ids(customer_id=account["id"], state="active") == [active["id"]]
    assert ids(state="waiting") == [waiting["id"]]
    assert ids(state="expired") == [expired["id"]]
    assert ids(state="draft") == [draft["id"]]
    assert ids(state="cancelled") == []
    assert_error(manager_api.get(URL, state="sleeping"), 400, "bad_request")
    assert_error(manager_api.get(URL, customer_id="nope"), 400, "bad_request")


def test_list_pages_with_a_cursor_in_constant_queries(
    manager_api: Api, make_entitlement: Callable[..., Json], product: Json
) -> None:
    for _ in range(5):
        make_entitlement(
            activate=False, product_ids=[product["id"]], channels=[{"channel": "phone", "terms": 1}]
        )
    first = manager_api.get(URL, limit=3).json()
    assert len(first["items"]) == 3 and first["next"]
    second = manager_api.get(URL, limit=3, cursor=first["next"]).json()
    assert len(second["items"]) == 2 and second["next"] is None
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    with CaptureQueriesContext(connection) as few:
        manager_api.get(URL, limit=1)
    with CaptureQueriesContext(connection) as many:
        manager_api.get(URL, limit=5)
    assert len(few) == len(many)


def test_a_draft_takes_a_merge_patch_and_audits_it(
    manager_api: Api, make_entitlement: Callable[..., Json], product: Json, contact: Json
) -> None:
    eid = make_entitlement(activate=False)["id"]
    response = manager_api.patch(
        f"{URL}/{eid}",
        {
            "name": "Gold",
            "total_terms": 20,
            "product_ids": [product["id"]],
            "contact_ids": [contact["id"]],
            "channels": [{"channel": "chat", "terms": 4}],
            "restrict_case_creation": True,
            "decrease_on": "creation",
        },
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "Gold" and body["version"] == 2 and response["ETag"] == '"2"'
    assert body["total_terms"] == 20 and body["remaining_terms"] == 20
    assert body["channels"] == [{"channel": "chat", "terms": 4, "remaining_terms": 4}]
    assert body["product_ids"] == [product["id"]] and body["contact_ids"] == [contact["id"]]
    assert body["decrease_on"] == "creation" and body["restrict_case_creation"] is True
    entry = AuditEntry.objects.filter(entity_type="entitlement", entity_id=eid).last()
    assert entry is not None and entry.action == "update"
    assert entry.changes["name"] == ["Support 2026", "Gold"]
    assert entry.changes["total_terms"] == [10, 20]


def test_changing_the_unit_of_a_draft_keeps_the_number_shown(
    manager_api: Api, make_entitlement: Callable[..., Json]
) -> None:
    eid = make_entitlement(activate=False, channels=[{"channel": "web", "terms": 3}])["id"]
    body = manager_api.patch(f"{URL}/{eid}", {"allocation_type": "hours"}).json()
    assert body["total_terms"] == 10 and body["channels"][0]["terms"] == 3
    body = manager_api.patch(f"{URL}/{eid}", {"total_terms": 12.5}).json()
    assert body["total_terms"] == 12.5
    error = assert_error(
        manager_api.patch(f"{URL}/{eid}", {"allocation_type": "cases"}), 422, "validation_error"
    )
    assert "total_terms" in error["details"]["fields"]
    error = assert_error(
        manager_api.patch(f"{URL}/{eid}", {"allocation_type": "cases", "total_terms": 2}),
        422,
        "validation_error",
    )
    assert "channels" in error["details"]["fields"]  # the web channel's 3 exceed the total
    ok = manager_api.patch(f"{URL}/{eid}", {"allocation_type": "cases", "total_terms": 4})
    assert ok.status_code == 200, ok.content
    assert ok.json()["total_terms"] == 4 and ok.json()["channels"][0]["terms"] == 3


def test_an_unchanged_patch_keeps_the_version(
    manager_api: Api, make_entitlement: Callable[..., Json]
) -> None:
    eid = make_entitlement(activate=False)["id"]
    response = manager_api.patch(f"{URL}/{eid}", {"name": "Support 2026"})
    assert response.status_code == 200 and response.json()["version"] == 1


def test_patch_refuses_a_stale_version_with_412(
    manager_api: Api, make_entitlement: Callable[..., Json]
) -> None:
    eid = make_entitlement(activate=False)["id"]
    assert_error(
        manager_api.patch(f"{URL}/{eid}", {"name": "x"}, headers={"If-Match": '"7"'}),
        412,
        "version_mismatch",
    )
    assert_error(
        manager_api.post(f"{URL}/{eid}/activate", headers={"If-Match": '"7"'}),
        412,
        "version_mismatch",
    )
    assert manager_api.get(f"{URL}/{eid}").json()["state"] == "draft"


@pytest.mark.parametrize(
    "fields",
    [
        {"name": None},
        {"total_terms": None},
        {"customer": None},
        {"is_default": None},
        {"state": "active"},
        {"remaining_terms": 3},
        {"allocation_type": "hours", "decrease_on": "creation"},
    ],
)
def test_patch_refuses_read_only_or_cleared_fields_with_422(
    manager_api: Api, make_entitlement: Callable[..., Json], fields: Json
) -> None:
    eid = make_entitlement(activate=False)["id"]
    assert_error(manager_api.patch(f"{URL}/{eid}", fields), 422, "validation_error")


@pytest.mark.parametrize(
    "fields", [{"name": "x"}, {"total_terms": 3}, {"restrict_case_creation": True}]
)
def test_an_active_entitlement_is_read_only_except_is_default(
    manager_api: Api, make_entitlement: Callable[..., Json], fields: Json
) -> None:
    entitlement = make_entitlement()
    eid = entitlement["id"]
    assert_error(manager_api.patch(f"{URL}/{eid}", fields), 409, "entitlement_state")
    assert manager_api.get(f"{URL}/{eid}").json() == entitlement
    response = manager_api.patch(f"{URL}/{eid}", {"is_default": True})
    assert response.status_code == 200 and response.json()["is_default"] is True


def test_expired_and_waiting_entitlements_take_only_is_default(
    manager_api: Api, make_entitlement: Callable[..., Json]
) -> None:
    for fields in ({"start_date": days(2)}, {"start_date": days(-9), "end_date": days(-2)}):
        eid = make_entitlement(**fields)["id"]
        assert_error(manager_api.patch(f"{URL}/{eid}", {"name": "x"}), 409, "entitlement_state")
        response = manager_api.patch(f"{URL}/{eid}", {"is_default": True})
        assert response.status_code == 200 and response.json()["is_default"] is True


def test_a_cancelled_entitlement_takes_no_edit(
    manager_api: Api, make_entitlement: Callable[..., Json]
) -> None:
    eid = make_entitlement()["id"]
    manager_api.post(f"{URL}/{eid}/cancel")
    for fields in ({"name": "x"}, {"is_default": True}):
        assert_error(manager_api.patch(f"{URL}/{eid}", fields), 409, "entitlement_state")


def test_setting_a_default_clears_the_customers_others_whatever_their_state(
    manager_api: Api,
    other_account: Json,
    make_entitlement: Callable[..., Json],
) -> None:
    first = make_entitlement(is_default=True)
    cancelled = make_entitlement()
    assert manager_api.patch(f"{URL}/{cancelled['id']}", {"is_default": True}).status_code == 200
    manager_api.post(f"{URL}/{cancelled['id']}/cancel")
    assert manager_api.get(f"{URL}/{first['id']}").json()["is_default"] is False
    elsewhere = make_entitlement(customer=customer_of(other_account), is_default=True)
    draft = make_entitlement(activate=False, is_default=True)
    assert draft["is_default"] is True
    assert manager_api.get(f"{URL}/{cancelled['id']}").json()["is_default"] is False
    assert manager_api.get(f"{URL}/{elsewhere['id']}").json()["is_default"] is True
    # Kept through activation.
    assert manager_api.post(f"{URL}/{draft['id']}/activate").json()["is_default"] is True
    entry = AuditEntry.objects.filter(entity_type="entitlement", entity_id=cancelled["id"]).last()
    assert entry is not None and entry.changes["is_default"] == [True, False]


def test_the_customer_page_shows_only_active_entitlements(
    manager_api: Api,
    agent_api: Api,
    account: Json,
    make_entitlement: Callable[..., Json],
) -> None:
    active = make_entitlement(name="Gold")
    make_entitlement(activate=False)
    make_entitlement(start_date=days(2))
    make_entitlement(start_date=days(-9), end_date=days(-2))
    cancelled = make_entitlement()
    manager_api.post(f"{URL}/{cancelled['id']}/cancel")
    response = agent_api.get(f"/api/v1/customers/account/{account['id']}")
    assert response.status_code == 200, response.content
    assert response.json()["entitlements"] == [manager_api.get(f"{URL}/{active['id']}").json()]
