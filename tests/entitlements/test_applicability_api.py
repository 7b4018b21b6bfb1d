"""Applicability, restrict and the default entitlement, through the API (docs/entitlements.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from casedesk.cases.models import Case
from casedesk.core import clock
from casedesk.entitlements.models import Entitlement, TermLedger
from tests.conftest import Api, assert_error
from tests.entitlements.conftest import Json, customer_of, days

pytestmark = pytest.mark.django_db
ZERO = "00000000-0000-0000-0000-000000000000"

Make = Callable[..., Json]
Fetch = Callable[[str], Json]


def _post_case(api: Api, account: Json, **fields: Any) -> Any:
    body = {"title": "Internet down", "customer": customer_of(account), **fields}
    return api.post("/api/v1/cases", body)


def _service(api: Api, **fields: Any) -> None:
    response = api.patch("/api/v1/config/service", fields)
    assert response.status_code == 200, response.content


# Applicability --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"activate": False},
        {"start_date": days(1)},
        {"start_date": days(-9), "end_date": days(-1)},
    ],
    ids=["draft", "waiting", "expired"],
)
def test_an_entitlement_that_is_not_active_today_does_not_apply(
    agent_api: Api, account: Json, make_entitlement: Make, fields: Json
) -> None:
    eid = make_entitlement(**fields)["id"]
    error = assert_error(
        _post_case(agent_api, account, entitlement_id=eid), 422, "entitlement_not_applicable"
    )
    assert error["details"]["entitlement_id"] == eid
    assert not Case.objects.exists()


def test_a_cancelled_entitlement_does_not_apply(
    agent_api: Api, manager_api: Api, account: Json, make_entitlement: Make
) -> None:
    eid = make_entitlement()["id"]
    manager_api.post(f"/api/v1/entitlements/{eid}/cancel")
    assert_error(
        _post_case(agent_api, account, entitlement_id=eid), 422, "entitlement_not_applicable"
    )


def test_another_customers_entitlement_does_not_apply(
    agent_api: Api, other_account: Json, make_entitlement: Make
) -> None:
    eid = make_entitlement()["id"]
    assert_error(
        _post_case(agent_api, other_account, entitlement_id=eid),
        422,
        "entitlement_not_applicable",
    )


def test_an_entitlement_limited_to_contacts_applies_only_to_their_cases(
    agent_api: Api, manager_api: Api, account: Json, contact: Json, make_entitlement: Make
) -> None:
    other = manager_api.post(
        "/api/v1/contacts", {"last_name": "Neri", "account_id": account["id"]}
    ).json()
    eid = make_entitlement(contact_ids=[contact["id"]])["id"]
    for fields in ({}, {"contact_id": other["id"]}):
        assert_error(
            _post_case(agent_api, account, entitlement_id=eid, **fields),
            422,
            "entitlement_not_applicable",
        )
    response = _post_case(agent_api, account, entitlement_id=eid, contact_id=contact["id"])
    assert response.status_code == 201, response.content


def test_an_entitlement_limited_to_products_applies_only_to_their_cases(
    agent_api: Api, manager_api: Api, account: Json, product: Json, make_entitlement: Make
) -> None:
    other = manager_api.post("/api/v1/products", {"name": "Modem"}).json()
    eid = make_entitlement(product_ids=[product["id"]])["id"]
    for fields in ({}, {"product_id": other["id"]}):
        assert_error(
            _post_case(agent_api, account, entitlement_id=eid, **fields),
            422,
            "entitlement_not_applicable",
        )
    response = _post_case(agent_api, account, entitlement_id=eid, product_id=product["id"])
    assert response.status_code == 201, response.content


def test_an_unknown_entitlement_or_contract_line_is_a_422_naming_the_field(
    agent_api: Api, account: Json, new_case: Make
) -> None:
    for field in ("entitlement_id", "contract_line_id"):
        error = assert_error(
            _post_case(agent_api, account, **{field: ZERO}), 422, "validation_error"
        )
        assert field in error["details"]["fields"]
        case = new_case()
        error = assert_error(
            agent_api.patch(f"/api/v1/cases/{case['id']}", {field: ZERO}), 422, "validation_error"
        )
        assert field in error["details"]["fields"]


def test_patching_an_entitlement_checks_applicability(
    agent_api: Api, make_entitlement: Make, new_case: Make
) -> None:
    case = new_case()
    waiting = make_entitlement(start_date=days(2))["id"]
    assert_error(
        agent_api.patch(f"/api/v1/cases/{case['id']}", {"entitlement_id": waiting}),
        422,
        "entitlement_not_applicable",
    )
    active = make_entitlement()["id"]
    response = agent_api.patch(f"/api/v1/cases/{case['id']}", {"entitlement_id": active})
    assert response.status_code == 200 and response.json()["entitlement_id"] == active


def test_an_agent_who_may_not_change_the_case_gets_403(
    make_api: Callable[..., Api],
    make_user: Callable[..., Any],
    make_entitlement: Make,
    new_case: Make,
) -> None:
    case = new_case()
    stranger = make_api(make_user("agent"))
    eid = make_entitlement()["id"]
    assert_error(
        stranger.patch(f"/api/v1/cases/{case['id']}", {"entitlement_id": eid}), 403, "forbidden"
    )


# Restrict case creation ------------------------------------------------------------------------


def test_a_restricted_entitlement_refuses_the_case_that_would_overdraw_it(
    agent_api: Api, account: Json, make_entitlement: Make, fetch: Fetch
) -> None:
    eid = make_entitlement(decrease_on="creation", total_terms=1, restrict_case_creation=True)["id"]
    assert _post_case(agent_api, account, entitlement_id=eid).status_code == 201
    error = assert_error(
        _post_case(agent_api, account, entitlement_id=eid), 409, "entitlement_exhausted"
    )
    assert error["details"]["entitlement_id"] == eid
    assert Case.objects.count() == 1
    assert fetch(eid)["remaining_terms"] == 0
    assert TermLedger.objects.filter(entitlement_id=eid).count() == 1


def test_a_restricted_channel_refuses_its_cases_while_other_channels_go_on(
    agent_api: Api, account: Json, make_entitlement: Make, fetch: Fetch
) -> None:
    eid = make_entitlement(
        decrease_on="creation",
        total_terms=5,
        restrict_case_creation=True,
        channels=[{"channel": "phone", "terms": 1}],
    )["id"]
    assert _post_case(agent_api, account, entitlement_id=eid).status_code == 201
    error = assert_error(
        _post_case(agent_api, account, entitlement_id=eid), 409, "entitlement_exhausted"
    )
    assert error["details"]["channel"] == "phone"
    assert _post_case(agent_api, account, entitlement_id=eid, origin="email").status_code == 201
    after = fetch(eid)
    assert after["remaining_terms"] == 3
    assert after["channels"] == [{"channel": "phone", "terms": 1, "remaining_terms": 0}]


def test_moving_a_case_into_an_exhausted_channel_is_refused_when_restricted(
    agent_api: Api, account: Json, make_entitlement: Make, fetch: Fetch
) -> None:
    eid = make_entitlement(
        decrease_on="creation",
        total_terms=5,
        restrict_case_creation=True,
        channels=[{"channel": "phone", "terms": 1}],
    )["id"]
    _post_case(agent_api, account, entitlement_id=eid)
    case = _post_case(agent_api, account, entitlement_id=eid, origin="email").json()
    assert_error(
        agent_api.patch(f"/api/v1/cases/{case['id']}", {"origin": "phone"}),
        409,
        "entitlement_exhausted",
    )
    assert Case.objects.get(id=case["id"]).origin == "email"
    assert fetch(eid)["remaining_terms"] == 3


def test_an_exhausted_restricted_entitlement_takes_no_new_case_even_when_not_decrementing(
    agent_api: Api, account: Json, make_entitlement: Make
) -> None:
    eid = make_entitlement(decrease_on="creation", total_terms=1, restrict_case_creation=True)["id"]
    _post_case(agent_api, account, entitlement_id=eid)
    assert_error(
        _post_case(agent_api, account, entitlement_id=eid, decrement_entitlement_terms=False),
        409,
        "entitlement_exhausted",
    )


def test_resolution_mode_refuses_association_with_nothing_left_and_the_overdrawing_resolve(
    agent_api: Api, account: Json, make_entitlement: Make, fetch: Fetch
) -> None:
    eid = make_entitlement(total_terms=1, restrict_case_creation=True)["id"]
    first = _post_case(agent_api, account, entitlement_id=eid).json()
    second = _post_case(agent_api, account, entitlement_id=eid).json()
    body = {"resolution": "Done."}
    assert agent_api.post(f"/api/v1/cases/{first['id']}/resolve", body).status_code == 200
    error = assert_error(
        agent_api.post(f"/api/v1/cases/{second['id']}/resolve", body),
        409,
        "entitlement_exhausted",
    )
    assert error["details"]["case_id"] == second["id"]
    assert Case.objects.get(id=second["id"]).state == "active"
    assert_error(_post_case(agent_api, account, entitlement_id=eid), 409, "entitlement_exhausted")
    assert fetch(eid)["remaining_terms"] == 0
    # Giving a term back by reactivating opens the way again.
    agent_api.post(f"/api/v1/cases/{first['id']}/reactivate")
    assert agent_api.post(f"/api/v1/cases/{second['id']}/resolve", body).status_code == 200


def test_hours_resolve_is_refused_when_the_billable_time_exceeds_what_is_left(
    agent_api: Api, account: Json, make_entitlement: Make, fetch: Fetch
) -> None:
    eid = make_entitlement(allocation_type="hours", total_terms=1, restrict_case_creation=True)[
        "id"
    ]
    case = _post_case(agent_api, account, entitlement_id=eid).json()
    url = f"/api/v1/cases/{case['id']}/resolve"
    error = assert_error(
        agent_api.post(url, {"resolution": "Done.", "billable_minutes": 90}),
        409,
        "entitlement_exhausted",
    )
    # What is left and what was needed, never "no terms left" of an hour that is left.
    assert error["message"] == "The entitlement has 1 hour left; this case needs 1.5 hours."
    assert error["details"]["remaining"] == 60 and error["details"]["needed"] == 90
    assert error["details"]["allocation_type"] == "hours"
    assert agent_api.post(url, {"resolution": "Done.", "billable_minutes": 60}).status_code == 200
    assert fetch(eid)["remaining_terms"] == 0


def test_a_cascade_refused_by_a_childs_exhausted_entitlement_names_the_child(
    agent_api: Api, manager_api: Api, account: Json, make_entitlement: Make, new_case: Make
) -> None:
    _service(manager_api, parent_close_policy="cascade")
    eid = make_entitlement(total_terms=1, restrict_case_creation=True)["id"]
    parent = new_case(entitlement_id=None)
    child = new_case(parent_id=parent["id"], entitlement_id=eid)
    other = new_case(entitlement_id=eid)
    body = {"resolution": "Done."}
    assert agent_api.post(f"/api/v1/cases/{other['id']}/resolve", body).status_code == 200
    error = assert_error(
        agent_api.post(f"/api/v1/cases/{parent['id']}/resolve", body),
        409,
        "entitlement_exhausted",
    )
    assert error["details"]["case_id"] == child["id"]
    states = dict(Case.objects.values_list("id", "state"))
    assert {str(k): v for k, v in states.items()} == {
        parent["id"]: "active",
        child["id"]: "active",
        other["id"]: "resolved",
    }
    assert TermLedger.objects.count() == 1


def test_a_draft_edit_cannot_make_a_restricted_entitlement_overdrawn(
    manager_api: Api, make_entitlement: Make, new_case: Make
) -> None:
    eid = make_entitlement(decrease_on="creation", total_terms=2, restrict_case_creation=True)["id"]
    new_case(entitlement_id=eid)
    new_case(entitlement_id=eid)
    manager_api.post(f"/api/v1/entitlements/{eid}/deactivate")
    error = assert_error(
        manager_api.patch(f"/api/v1/entitlements/{eid}", {"total_terms": 1}),
        422,
        "validation_error",
    )
    assert "total_terms" in error["details"]["fields"]
    response = manager_api.patch(f"/api/v1/entitlements/{eid}", {"total_terms": 5})
    assert response.status_code == 200 and response.json()["remaining_terms"] == 3


def test_a_draft_in_use_keeps_its_customer_unit_and_decrease_on(
    manager_api: Api, other_account: Json, make_entitlement: Make, new_case: Make
) -> None:
    eid = make_entitlement()["id"]
    new_case(entitlement_id=eid)
    manager_api.post(f"/api/v1/entitlements/{eid}/deactivate")
    for fields in (
        {"customer": customer_of(other_account)},
        {"allocation_type": "hours"},
        {"decrease_on": "creation"},
    ):
        assert_error(
            manager_api.patch(f"/api/v1/entitlements/{eid}", fields), 409, "entitlement_state"
        )
    assert manager_api.patch(f"/api/v1/entitlements/{eid}", {"name": "New"}).status_code == 200


# The default entitlement -----------------------------------------------------------------------


def test_a_new_case_gets_the_customers_default_entitlement(
    agent_api: Api, account: Json, make_entitlement: Make, fetch: Fetch
) -> None:
    eid = make_entitlement(is_default=True, decrease_on="creation")["id"]
    case = _post_case(agent_api, account).json()
    assert case["entitlement_id"] == eid
    assert fetch(eid)["remaining_terms"] == 9


def test_no_default_is_applied_when_the_switch_is_off_or_null_is_named(
    agent_api: Api, manager_api: Api, account: Json, make_entitlement: Make
) -> None:
    make_entitlement(is_default=True)
    assert _post_case(agent_api, account, entitlement_id=None).json()["entitlement_id"] is None
    _service(manager_api, apply_default_entitlement_on_create=False)
    assert _post_case(agent_api, account).json()["entitlement_id"] is None


def test_a_named_entitlement_wins_over_the_default(
    agent_api: Api, account: Json, make_entitlement: Make
) -> None:
    make_entitlement(is_default=True)
    named = make_entitlement(name="Named")["id"]
    assert _post_case(agent_api, account, entitlement_id=named).json()["entitlement_id"] == named


@pytest.mark.parametrize(
    "fields",
    [{"start_date": days(3)}, {"activate": False}, {"product_ids": "PRODUCT"}],
    ids=["waiting", "draft", "other-product"],
)
def test_a_default_that_does_not_apply_is_not_given(
    agent_api: Api, account: Json, product: Json, make_entitlement: Make, fields: Json
) -> None:
    if fields.get("product_ids") == "PRODUCT":
        fields = {"product_ids": [product["id"]]}
    make_entitlement(is_default=True, **fields)
    response = _post_case(agent_api, account)
    assert response.status_code == 201 and response.json()["entitlement_id"] is None


def test_creation_is_refused_when_the_restricted_default_is_used_up(
    agent_api: Api, account: Json, make_entitlement: Make
) -> None:
    make_entitlement(
        is_default=True, decrease_on="creation", total_terms=1, restrict_case_creation=True
    )
    assert _post_case(agent_api, account).status_code == 201
    assert_error(_post_case(agent_api, account), 409, "entitlement_exhausted")
    assert Case.objects.count() == 1


def test_changing_the_customer_removes_a_foreign_entitlement_and_applies_the_new_default(
    agent_api: Api,
    account: Json,
    other_account: Json,
    make_entitlement: Make,
    fetch: Fetch,
) -> None:
    mine = make_entitlement(decrease_on="creation")["id"]
    theirs = make_entitlement(
        customer=customer_of(other_account), is_default=True, decrease_on="creation"
    )["id"]
    case = _post_case(agent_api, account, entitlement_id=mine).json()
    response = agent_api.patch(
        f"/api/v1/cases/{case['id']}", {"customer": customer_of(other_account)}
    )
    assert response.status_code == 200, response.content
    assert response.json()["entitlement_id"] == theirs
    assert fetch(mine)["remaining_terms"] == 10
    assert fetch(theirs)["remaining_terms"] == 9


def test_changing_the_customer_only_removes_when_the_update_switch_is_off(
    agent_api: Api,
    manager_api: Api,
    account: Json,
    other_account: Json,
    make_entitlement: Make,
    fetch: Fetch,
) -> None:
    _service(manager_api, apply_default_entitlement_on_update=False)
    mine = make_entitlement(decrease_on="creation")["id"]
    make_entitlement(customer=customer_of(other_account), is_default=True)
    case = _post_case(agent_api, account, entitlement_id=mine).json()
    response = agent_api.patch(
        f"/api/v1/cases/{case['id']}", {"customer": customer_of(other_account)}
    )
    assert response.json()["entitlement_id"] is None
    assert fetch(mine)["remaining_terms"] == 10


def test_changing_the_product_removes_an_entitlement_that_no_longer_covers_it(
    agent_api: Api, manager_api: Api, account: Json, product: Json, make_entitlement: Make
) -> None:
    eid = make_entitlement(product_ids=[product["id"]])["id"]
    case = _post_case(agent_api, account, entitlement_id=eid, product_id=product["id"]).json()
    other = manager_api.post("/api/v1/products", {"name": "Modem"}).json()
    response = agent_api.patch(f"/api/v1/cases/{case['id']}", {"product_id": other["id"]})
    assert response.json()["entitlement_id"] is None


def test_a_case_without_entitlement_gets_the_default_when_its_contact_changes(
    agent_api: Api, account: Json, contact: Json, make_entitlement: Make
) -> None:
    case = _post_case(agent_api, account, entitlement_id=None).json()
    eid = make_entitlement(is_default=True, contact_ids=[contact["id"]])["id"]
    response = agent_api.patch(f"/api/v1/cases/{case['id']}", {"contact_id": contact["id"]})
    assert response.json()["entitlement_id"] == eid


def test_expiry_or_cancellation_never_removes_the_entitlement(
    agent_api: Api,
    manager_api: Api,
    account: Json,
    contact: Json,
    make_entitlement: Make,
) -> None:
    expiring = make_entitlement()["id"]
    cancelled = make_entitlement()["id"]
    make_entitlement(is_default=True, name="Default")
    first = _post_case(agent_api, account, entitlement_id=expiring).json()
    second = _post_case(agent_api, account, entitlement_id=cancelled).json()
    Entitlement.objects.filter(id=expiring).update(end_date=clock.today() - dt.timedelta(days=1))
    manager_api.post(f"/api/v1/entitlements/{cancelled}/cancel")
    for case, eid in ((first, expiring), (second, cancelled)):
        response = agent_api.patch(f"/api/v1/cases/{case['id']}", {"contact_id": contact["id"]})
        assert response.status_code == 200, response.content
        assert response.json()["entitlement_id"] == eid


def test_the_service_settings_accept_both_default_switches(manager_api: Api) -> None:
    body = manager_api.get("/api/v1/config/service").json()
    assert body["apply_default_entitlement_on_create"] is True
    assert body["apply_default_entitlement_on_update"] is True
    _service(
        manager_api,
        apply_default_entitlement_on_create=False,
        apply_default_entitlement_on_update=False,
    )
    body = manager_api.get("/api/v1/config/service").json()
    assert body["apply_default_entitlement_on_create"] is False
    assert body["apply_default_entitlement_on_update"] is False
