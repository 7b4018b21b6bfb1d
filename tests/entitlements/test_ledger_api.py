"""The term ledger and its target-debit rule, through the API (docs/entitlements.md).

After every write the ledger holds exactly the case's target: 1 case (cases) or its billable
minutes (hours) when terms are decremented and (creation mode and the case is not cancelled or
merged, or resolution mode and the case is resolved), on its entitlement and origin channel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from casedesk.entitlements.models import TermLedger
from tests.conftest import Api, assert_error
from tests.entitlements.conftest import Json

pytestmark = pytest.mark.django_db

Make = Callable[..., Json]
Fetch = Callable[[str], Json]
Ledger = Callable[[str], list[Json]]


def _rows(ledger: Ledger, eid: str) -> list[tuple[Any, ...]]:
    return [(r["amount"], r["reason"], r["channel"]) for r in ledger(eid)]


def _resolve(api: Api, case: Json, **fields: Any) -> Any:
    body = {"resolution": "Fixed by a reboot.", **fields}
    return api.post(f"/api/v1/cases/{case['id']}/resolve", body)


def test_creation_mode_debits_one_case_when_the_case_is_created(
    make_entitlement: Make, new_case: Make, fetch: Fetch, ledger: Ledger
) -> None:
    eid = make_entitlement(decrease_on="creation")["id"]
    case = new_case(entitlement_id=eid)
    assert case["entitlement_id"] == eid
    assert fetch(eid)["remaining_terms"] == 9
    entries = ledger(eid)
    assert [(e["case_id"], e["amount"], e["reason"], e["channel"]) for e in entries] == [
        (case["id"], -1, "case_created", "phone")
    ]
    assert set(entries[0]) >= {"at", "case_id", "amount", "reason", "channel"}


def test_resolution_mode_debits_on_resolve_and_credits_on_reactivate(
    agent_api: Api, make_entitlement: Make, new_case: Make, fetch: Fetch, ledger: Ledger
) -> None:
    eid = make_entitlement()["id"]
    case = new_case(entitlement_id=eid)
    assert fetch(eid)["remaining_terms"] == 10 and ledger(eid) == []
    assert _resolve(agent_api, case).status_code == 200
    assert fetch(eid)["remaining_terms"] == 9
    assert agent_api.post(f"/api/v1/cases/{case['id']}/reactivate").status_code == 200
    assert fetch(eid)["remaining_terms"] == 10
    assert _resolve(agent_api, case).status_code == 200
    assert fetch(eid)["remaining_terms"] == 9
    assert _rows(ledger, eid) == [
        (-1, "case_resolved", "phone"),
        (1, "case_reactivated", "phone"),
        (-1, "case_resolved", "phone"),
    ]


def test_creation_mode_credits_on_cancel_and_debits_again_on_reactivate(
    agent_api: Api, make_entitlement: Make, new_case: Make, fetch: Fetch, ledger: Ledger
) -> None:
    eid = make_entitlement(decrease_on="creation")["id"]
    case = new_case(entitlement_id=eid)
    assert agent_api.post(f"/api/v1/cases/{case['id']}/cancel").status_code == 200
    assert fetch(eid)["remaining_terms"] == 10
    assert agent_api.post(f"/api/v1/cases/{case['id']}/reactivate").status_code == 200
    assert fetch(eid)["remaining_terms"] == 9
    # Resolving changes nothing in creation mode: the case was already counted.
    assert _resolve(agent_api, case).status_code == 200
    assert fetch(eid)["remaining_terms"] == 9
    assert _rows(ledger, eid) == [
        (-1, "case_created", "phone"),
        (1, "case_cancelled", "phone"),
        (-1, "case_reactivated", "phone"),
    ]


def test_merge_credits_the_subordinate_like_a_cancel_when_creation_mode(
    agent_api: Api, make_entitlement: Make, new_case: Make, fetch: Fetch, ledger: Ledger
) -> None:
    eid = make_entitlement(decrease_on="creation")["id"]
    master = new_case(entitlement_id=eid)
    subordinate = new_case(entitlement_id=eid)
    assert fetch(eid)["remaining_terms"] == 8
    response = agent_api.post(f"/api/v1/cases/{subordinate['id']}/merge", {"into": master["id"]})
    assert response.status_code == 200, response.content
    assert fetch(eid)["remaining_terms"] == 9
    last = ledger(eid)[-1]
    assert (last["case_id"], last["amount"], last["reason"]) == (
        subordinate["id"],
        1,
        "case_merged",
    )


def test_a_merged_resolution_mode_case_consumed_nothing_and_gets_nothing_back(
    agent_api: Api, make_entitlement: Make, new_case: Make, fetch: Fetch, ledger: Ledger
) -> None:
    eid = make_entitlement()["id"]
    master = new_case(entitlement_id=eid)
    subordinate = new_case(entitlement_id=eid)
    agent_api.post(f"/api/v1/cases/{subordinate['id']}/merge", {"into": master["id"]})
    assert fetch(eid)["remaining_terms"] == 10 and ledger(eid) == []


def test_moving_a_case_to_another_entitlement_credits_the_old_and_debits_the_new(
    agent_api: Api, make_entitlement: Make, new_case: Make, fetch: Fetch, ledger: Ledger
) -> None:
    old = make_entitlement(decrease_on="creation")["id"]
    new = make_entitlement(decrease_on="creation", name="Gold")["id"]
    case = new_case(entitlement_id=old)
    response = agent_api.patch(f"/api/v1/cases/{case['id']}", {"entitlement_id": new})
    assert response.status_code == 200, response.content
    assert response.json()["entitlement_id"] == new
    assert fetch(old)["remaining_terms"] == 10 and fetch(new)["remaining_terms"] == 9
    assert _rows(ledger, old) == [
        (-1, "case_created", "phone"),
        (1, "entitlement_changed", "phone"),
    ]
    assert _rows(ledger, new) == [(-1, "entitlement_changed", "phone")]


def test_removing_the_entitlement_credits_what_the_case_consumed(
    agent_api: Api, make_entitlement: Make, new_case: Make, fetch: Fetch
) -> None:
    eid = make_entitlement(decrease_on="creation")["id"]
    case = new_case(entitlement_id=eid)
    response = agent_api.patch(f"/api/v1/cases/{case['id']}", {"entitlement_id": None})
    assert response.status_code == 200 and response.json()["entitlement_id"] is None
    assert fetch(eid)["remaining_terms"] == 10


def test_moving_a_case_to_another_channel_credits_the_old_channel_and_debits_the_new(
    agent_api: Api, make_entitlement: Make, new_case: Make, fetch: Fetch, ledger: Ledger
) -> None:
    channels = [{"channel": "phone", "terms": 3}, {"channel": "email", "terms": 3}]
    eid = make_entitlement(decrease_on="creation", channels=channels)["id"]
    case = new_case(entitlement_id=eid)
    assert {c["channel"]: c["remaining_terms"] for c in fetch(eid)["channels"]} == {
        "phone": 2,
        "email": 3,
    }
    agent_api.patch(f"/api/v1/cases/{case['id']}", {"origin": "email"})
    after = fetch(eid)
    assert after["remaining_terms"] == 9
    assert {c["channel"]: c["remaining_terms"] for c in after["channels"]} == {
        "phone": 3,
        "email": 2,
    }
    assert _rows(ledger, eid)[1:] == [
        (1, "channel_changed", "phone"),
        (-1, "channel_changed", "email"),
    ]
    # A channel that is not listed is bounded only by the total.
    agent_api.patch(f"/api/v1/cases/{case['id']}", {"origin": "web"})
    after = fetch(eid)
    assert after["remaining_terms"] == 9
    assert {c["channel"]: c["remaining_terms"] for c in after["channels"]} == {
        "phone": 3,
        "email": 3,
    }


def test_do_not_decrement_credits_when_turned_on_and_debits_again_when_turned_off(
    agent_api: Api, make_entitlement: Make, new_case: Make, fetch: Fetch, ledger: Ledger
) -> None:
    eid = make_entitlement(decrease_on="creation")["id"]
    case = new_case(entitlement_id=eid)
    url = f"/api/v1/cases/{case['id']}"
    agent_api.patch(url, {"decrement_entitlement_terms": False})
    assert fetch(eid)["remaining_terms"] == 10
    agent_api.patch(url, {"decrement_entitlement_terms": True})
    assert fetch(eid)["remaining_terms"] == 9
    assert [r[:2] for r in _rows(ledger, eid)] == [
        (-1, "case_created"),
        (1, "decrement_changed"),
        (-1, "decrement_changed"),
    ]


def test_a_case_created_without_decrementing_consumes_nothing_when_resolved(
    agent_api: Api, make_entitlement: Make, new_case: Make, fetch: Fetch
) -> None:
    eid = make_entitlement()["id"]
    case = new_case(entitlement_id=eid, decrement_entitlement_terms=False)
    assert case["decrement_entitlement_terms"] is False
    assert _resolve(agent_api, case).status_code == 200
    assert fetch(eid)["remaining_terms"] == 10


def test_hours_consume_the_billable_minutes_on_resolve(
    agent_api: Api, make_entitlement: Make, new_case: Make, fetch: Fetch, ledger: Ledger
) -> None:
    eid = make_entitlement(allocation_type="hours", total_terms=10)["id"]
    case = new_case(entitlement_id=eid)
    assert _resolve(agent_api, case, billable_minutes=80).status_code == 200
    assert fetch(eid)["remaining_terms"] == 8.67
    assert _rows(ledger, eid) == [(-1.33, "case_resolved", "phone")]
    agent_api.post(f"/api/v1/cases/{case['id']}/reactivate")
    assert fetch(eid)["remaining_terms"] == 10
    assert _resolve(agent_api, case, billable_minutes=0).status_code == 200
    assert fetch(eid)["remaining_terms"] == 10
    assert TermLedger.objects.filter(entitlement_id=eid).count() == 2


def test_hours_default_to_the_total_time_of_completed_activities(
    agent_api: Api, make_entitlement: Make, new_case: Make, fetch: Fetch
) -> None:
    eid = make_entitlement(allocation_type="hours", total_terms=5)["id"]
    case = new_case(entitlement_id=eid)
    activity = agent_api.post(
        f"/api/v1/cases/{case['id']}/activities",
        {"type": "phone_call", "subject": "Call back", "duration_minutes": 45},
    ).json()
    assert agent_api.post(f"/api/v1/activities/{activity['id']}/complete").status_code == 200
    assert _resolve(agent_api, case).status_code == 200
    assert fetch(eid)["remaining_terms"] == 4.25


def test_remaining_may_go_negative_when_not_restricted(
    make_entitlement: Make, new_case: Make, fetch: Fetch
) -> None:
    eid = make_entitlement(decrease_on="creation", total_terms=1)["id"]
    new_case(entitlement_id=eid)
    new_case(entitlement_id=eid)
    assert fetch(eid)["remaining_terms"] == -1


def test_every_debit_grows_the_entitlements_version(
    make_entitlement: Make, new_case: Make, fetch: Fetch
) -> None:
    entitlement = make_entitlement(decrease_on="creation")
    new_case(entitlement_id=entitlement["id"])
    assert fetch(entitlement["id"])["version"] == entitlement["version"] + 1


def test_a_case_keeps_its_entitlement_and_consumes_from_it_after_it_is_cancelled(
    manager_api: Api,
    agent_api: Api,
    make_entitlement: Make,
    new_case: Make,
    fetch: Fetch,
) -> None:
    eid = make_entitlement()["id"]
    case = new_case(entitlement_id=eid)
    manager_api.post(f"/api/v1/entitlements/{eid}/cancel")
    response = agent_api.patch(f"/api/v1/cases/{case['id']}", {"title": "Still down"})
    assert response.json()["entitlement_id"] == eid
    assert _resolve(agent_api, case).status_code == 200
    assert fetch(eid)["remaining_terms"] == 9


def test_the_ledger_is_listed_oldest_first_in_pages(
    make_entitlement: Make, new_case: Make, manager_api: Api
) -> None:
    eid = make_entitlement(decrease_on="creation")["id"]
    cases = [new_case(entitlement_id=eid)["id"] for _ in range(3)]
    url = f"/api/v1/entitlements/{eid}/ledger"
    first = manager_api.get(url, limit=2).json()
    second = manager_api.get(url, limit=2, cursor=first["next"]).json()
    assert [e["case_id"] for e in first["items"] + second["items"]] == cases
    assert second["next"] is None
    assert_error(manager_api.get(url, cursor="garbage"), 400, "bad_request")


def test_a_refused_write_leaves_the_ledger_untouched(
    agent_api: Api, make_entitlement: Make, new_case: Make, fetch: Fetch, ledger: Ledger
) -> None:
    eid = make_entitlement(decrease_on="creation")["id"]
    case = new_case(entitlement_id=eid)
    draft = make_entitlement(activate=False)["id"]
    response = agent_api.patch(f"/api/v1/cases/{case['id']}", {"entitlement_id": draft})
    assert_error(response, 422, "entitlement_not_applicable")
    assert fetch(eid)["remaining_terms"] == 9 and len(ledger(eid)) == 1


def test_save_and_route_edits_move_terms_like_a_patch(
    agent_api: Api, make_entitlement: Make, new_case: Make, fetch: Fetch, ledger: Ledger
) -> None:
    old = make_entitlement(decrease_on="creation")["id"]
    new = make_entitlement(decrease_on="creation", name="Gold")["id"]
    case = new_case(entitlement_id=old)
    response = agent_api.post(
        f"/api/v1/cases/{case['id']}/route", {"entitlement_id": new, "origin": "web"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["case"]["entitlement_id"] == new
    assert fetch(old)["remaining_terms"] == 10 and fetch(new)["remaining_terms"] == 9
    assert _rows(ledger, new) == [(-1, "entitlement_changed", "web")]


def test_a_child_case_gets_the_default_entitlement_not_the_parents(
    make_entitlement: Make, new_case: Make
) -> None:
    named = make_entitlement(name="Named")["id"]
    default = make_entitlement(is_default=True)["id"]
    parent = new_case(entitlement_id=named)
    child = new_case(parent_id=parent["id"])
    assert child["entitlement_id"] == default


def test_the_ledger_list_costs_the_same_queries_for_one_or_many_rows(
    make_entitlement: Make, new_case: Make, manager_api: Api
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    eid = make_entitlement(decrease_on="creation")["id"]
    for _ in range(4):
        new_case(entitlement_id=eid)
    url = f"/api/v1/entitlements/{eid}/ledger"
    with CaptureQueriesContext(connection) as one:
        manager_api.get(url, limit=1)
    with CaptureQueriesContext(connection) as four:
        manager_api.get(url, limit=4)
    assert len(one) == len(four)


def test_creation_debit_says_case_created_when_the_case_is_routed_as_it_is_created(
    make_entitlement: Make, new_case: Make, ledger: Ledger
) -> None:
    eid = make_entitlement(decrease_on="creation")["id"]
    new_case(entitlement_id=eid, route=True)
    assert _rows(ledger, eid) == [(-1, "case_created", "phone")]
