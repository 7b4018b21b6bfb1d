"""Changing contracts and their lines, and removing a line added by mistake (docs/entitlements.md):
what a
manager needs to keep legacy contracts right, through the API and its services."""

from __future__ import annotations

from typing import Any

import pytest

from casedesk.core.models import AuditEntry
from tests.conftest import Api, assert_error
from tests.entitlements.conftest import Json, Make, customer_of, days

pytestmark = pytest.mark.django_db
ZERO = "00000000-0000-0000-0000-000000000000"


def _url(contract: Json, line: Json | None = None) -> str:
    base = f"/api/v1/contracts/{contract['id']}"
    return f"{base}/lines/{line['id']}" if line else base


def _audit(entity_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    rows = AuditEntry.objects.filter(entity_id=entity_id).order_by("id")
    return [(r.action, r.channel, r.changes) for r in rows]


def test_patching_a_contract_changes_its_name_and_period_and_bumps_its_version(
    manager_api: Api, contract: Json
) -> None:
    response = manager_api.patch(
        _url(contract),
        {"name": "Assistenza 2026-27", "end_date": days(400)},
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["end_date"], body["version"]) == (
        "Assistenza 2026-27",
        days(400),
        2,
    )
    assert response["ETag"] == '"2"'
    assert _audit(contract["id"])[-1] == (
        "update",
        "api",
        {
            "name": ["Assistenza 2026", "Assistenza 2026-27"],
            "end_date": [days(100), days(400)],
        },
    )


def test_patching_a_contract_with_nothing_new_changes_nothing(
    manager_api: Api, contract: Json
) -> None:
    response = manager_api.patch(_url(contract), {"name": contract["name"]})
    assert response.status_code == 200 and response.json()["version"] == 1
    assert [a for a, _c, _ch in _audit(contract["id"])] == ["create"]


def test_a_stale_if_match_refuses_the_patch_with_412(manager_api: Api, contract: Json) -> None:
    manager_api.patch(_url(contract), {"name": "First"})
    assert_error(
        manager_api.patch(_url(contract), {"name": "Second"}, headers={"If-Match": '"1"'}),
        412,
        "version_mismatch",
    )
    assert manager_api.get(_url(contract)).json()["name"] == "First"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"end_date": days(-20)}, "end_date"),
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"start_date": None}, "start_date"),
        ({"customer": {"type": "account", "id": ZERO}}, "customer"),
        ({"lines": []}, "lines"),
    ],
)
def test_a_bad_contract_patch_is_refused_with_422(
    manager_api: Api, contract: Json, fields: Json, field: str
) -> None:
    error = assert_error(manager_api.patch(_url(contract), fields), 422, "validation_error")
    assert field in error["details"]["fields"], error
    assert manager_api.get(_url(contract)).json()["version"] == 1


def test_the_period_must_keep_holding_every_line(
    manager_api: Api, contract: Json, make_line: Make
) -> None:
    make_line(start_date=days(-5), end_date=days(50))
    error = assert_error(
        manager_api.patch(_url(contract), {"start_date": days(0)}), 422, "validation_error"
    )
    assert "start_date" in error["details"]["fields"]
    error = assert_error(
        manager_api.patch(_url(contract), {"end_date": days(40)}), 422, "validation_error"
    )
    assert "end_date" in error["details"]["fields"]
    narrowed = manager_api.patch(_url(contract), {"start_date": days(-5), "end_date": days(50)})
    assert narrowed.status_code == 200, narrowed.content


def test_the_customer_may_change_until_a_case_bills_to_a_line(
    manager_api: Api,
    account: Json,
    other_account: Json,
    contract: Json,
    make_line: Make,
    new_case: Make,
) -> None:
    line = make_line()
    moved = manager_api.patch(_url(contract), {"customer": customer_of(other_account)})
    assert moved.status_code == 200 and moved.json()["customer"]["name"] == "Beta Spa"
    back = manager_api.patch(_url(contract), {"customer": customer_of(account)})
    assert back.status_code == 200
    new_case(contract_line_id=line["id"])
    error = assert_error(
        manager_api.patch(_url(contract), {"customer": customer_of(other_account)}),
        409,
        "contract_in_use",
    )
    assert error["details"]["fields"] == ["customer"]
    # Renaming stays possible.
    assert manager_api.patch(_url(contract), {"name": "Renamed"}).status_code == 200


def test_agents_may_not_change_contracts_or_lines(
    agent_api: Api, contract: Json, make_line: Make
) -> None:
    line = make_line()
    assert_error(agent_api.patch(_url(contract), {"name": "X"}), 403, "forbidden")
    assert_error(agent_api.patch(_url(contract, line), {"total": 1}), 403, "forbidden")
    assert_error(agent_api.delete(_url(contract, line)), 403, "forbidden")
    assert agent_api.get(_url(contract, line)).json()["total"] == 5


def test_a_contract_shows_the_state_of_its_period_and_lists_filter_by_it(
    manager_api: Api, account: Json, contract: Json
) -> None:
    def make(name: str, start: int, end: int) -> Json:
        body = {
            "name": name,
            "customer": customer_of(account),
            "start_date": days(start),
            "end_date": days(end),
        }
        return manager_api.post("/api/v1/contracts", body).json()

    ended = make("2025", -400, -35)
    ahead = make("2028", 30, 400)
    assert (contract["state"], ended["state"], ahead["state"]) == ("active", "expired", "waiting")
    for state, expected in (("active", contract), ("expired", ended), ("waiting", ahead)):
        listed = manager_api.get("/api/v1/contracts", state=state).json()["items"]
        assert [c["id"] for c in listed] == [expected["id"]], state
    assert_error(manager_api.get("/api/v1/contracts", state="draft"), 400, "bad_request")


def test_patching_a_line_changes_it_and_the_contracts_version(
    manager_api: Api, contract: Json, make_line: Make, product: Json
) -> None:
    line = make_line()
    response = manager_api.patch(
        _url(contract, line),
        {"name": "Hotline 24/7", "total": 8, "product_id": product["id"]},
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["total"], body["remaining"], body["product_id"]) == (
        "Hotline 24/7",
        8,
        8,
        product["id"],
    )
    assert body["version"] == 2 and response["ETag"] == '"2"'
    assert manager_api.get(_url(contract)).json()["version"] == 3  # created, line, line changed
    cleared = manager_api.patch(_url(contract, line), {"product_id": None}).json()
    assert cleared["product_id"] is None
    assert _audit(line["id"])[-2] == (
        "update",
        "api",
        {"name": ["Hotline", "Hotline 24/7"], "total": [5, 8], "product_id": [None, product["id"]]},
    )


def test_a_total_below_what_cases_used_keeps_the_use_and_shows_a_negative_remainder(
    manager_api: Api, agent_api: Api, contract: Json, make_line: Make, new_case: Make
) -> None:
    line = make_line(total=3)
    for _ in range(2):
        case = new_case(contract_line_id=line["id"])
        agent_api.post(f"/api/v1/cases/{case['id']}/resolve", {"resolution": "Done."})
    body = manager_api.patch(_url(contract, line), {"total": 1}).json()
    assert (body["total"], body["used"], body["remaining"]) == (1, 2, -1)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"total": -1}, "total"),
        ({"total": None}, "total"),
        ({"start_date": days(-50)}, "start_date"),
        ({"end_date": days(500)}, "start_date"),
        ({"start_date": days(5), "end_date": days(1)}, "end_date"),
        ({"product_id": ZERO}, "product_id"),
        ({"allotment_type": "minutes"}, "allotment_type"),
        ({"name": ""}, "name"),
    ],
)
def test_a_bad_line_patch_is_refused_with_422(
    manager_api: Api, contract: Json, make_line: Make, fields: Json, field: str
) -> None:
    line = make_line()
    error = assert_error(manager_api.patch(_url(contract, line), fields), 422, "validation_error")
    assert field in error["details"]["fields"], error
    assert manager_api.get(_url(contract, line)).json()["version"] == 1


def test_a_coverage_dates_line_takes_no_total(
    manager_api: Api, contract: Json, make_line: Make
) -> None:
    line = make_line(allotment_type="coverage_dates", total=0)
    error = assert_error(
        manager_api.patch(_url(contract, line), {"total": 2}), 422, "validation_error"
    )
    assert "total" in error["details"]["fields"]


def test_a_line_is_found_only_under_its_own_contract(
    manager_api: Api, account: Json, contract: Json, make_line: Make
) -> None:
    line = make_line()
    other = manager_api.post(
        "/api/v1/contracts",
        {
            "name": "Other",
            "customer": customer_of(account),
            "start_date": days(0),
            "end_date": days(9),
        },
    ).json()
    wrong = f"/api/v1/contracts/{other['id']}/lines/{line['id']}"
    assert_error(manager_api.get(wrong), 404, "not_found")
    assert_error(manager_api.patch(wrong, {"total": 1}), 404, "not_found")
    assert_error(manager_api.delete(wrong), 404, "not_found")
    assert_error(manager_api.get(f"{_url(contract)}/lines/{ZERO}"), 404, "not_found")
    assert_error(manager_api.patch(f"/api/v1/contracts/{ZERO}", {"name": "X"}), 404, "not_found")
    got = manager_api.get(_url(contract, line))
    assert got.status_code == 200 and got["ETag"] == '"1"'


def test_removing_an_unused_line_answers_the_contract_without_it(
    manager_api: Api, contract: Json, make_line: Make
) -> None:
    kept, mistake = make_line(name="Kept"), make_line(name="Mistake")
    response = manager_api.delete(_url(contract, mistake), headers={"If-Match": '"1"'})
    assert response.status_code == 200, response.content
    body = response.json()
    assert [line["id"] for line in body["lines"]] == [kept["id"]]
    assert body["version"] == 4 and response["ETag"] == '"4"'
    assert_error(manager_api.get(_url(contract, mistake)), 404, "not_found")
    action, channel, changes = _audit(mistake["id"])[-1]
    assert (action, channel, changes["name"], changes["total"]) == (
        "delete",
        "api",
        ["Mistake", None],
        [5, None],
    )


def test_a_line_that_a_case_names_or_used_is_not_removed(
    manager_api: Api, agent_api: Api, contract: Json, make_line: Make, new_case: Make
) -> None:
    line = make_line()
    case = new_case(contract_line_id=line["id"])
    assert_error(manager_api.delete(_url(contract, line)), 409, "contract_in_use")
    agent_api.post(f"/api/v1/cases/{case['id']}/resolve", {"resolution": "Done."})
    agent_api.post(f"/api/v1/cases/{case['id']}/reactivate")
    agent_api.patch(f"/api/v1/cases/{case['id']}", {"contract_line_id": None})
    # No case names it any more, but its ledger keeps the use and the give-back.
    assert_error(manager_api.delete(_url(contract, line)), 409, "contract_in_use")
    assert manager_api.get(_url(contract, line)).status_code == 200


def test_a_stale_if_match_refuses_to_remove_a_line(
    manager_api: Api, contract: Json, make_line: Make
) -> None:
    line = make_line()
    manager_api.patch(_url(contract, line), {"total": 6})
    assert_error(
        manager_api.delete(_url(contract, line), headers={"If-Match": '"1"'}),
        412,
        "version_mismatch",
    )
    assert manager_api.get(_url(contract, line)).status_code == 200
