"""Contracts and contract lines, and their use by resolved cases (docs/entitlements.md)."""

from __future__ import annotations

import pytest

from casedesk.entitlements.models import ContractLineLedger
from tests.conftest import Api, assert_error
from tests.entitlements.conftest import Json, Make, customer_of, days

pytestmark = pytest.mark.django_db
ZERO = "00000000-0000-0000-0000-000000000000"


def _line(api: Api, contract: Json, line_id: str) -> Json:
    lines = api.get(f"/api/v1/contracts/{contract['id']}/lines").json()["items"]
    return next(line for line in lines if line["id"] == line_id)


def test_a_contract_is_created_read_and_listed_with_its_lines(
    manager_api: Api, agent_api: Api, account: Json, contract: Json, make_line: Make
) -> None:
    assert contract["customer"] == {"type": "account", "id": account["id"], "name": "Acme Srl"}
    assert contract["lines"] == [] and contract["version"] == 1
    line = make_line()
    assert {k: line[k] for k in ("allotment_type", "total", "used", "remaining")} == {
        "allotment_type": "cases",
        "total": 5,
        "used": 0,
        "remaining": 5,
    }
    assert line["start_date"] == contract["start_date"]
    assert line["end_date"] == contract["end_date"]
    got = agent_api.get(f"/api/v1/contracts/{contract['id']}")
    assert got.status_code == 200 and got.json()["lines"] == [line]
    assert got["ETag"] == '"2"'
    listed = agent_api.get("/api/v1/contracts", customer_id=account["id"]).json()
    assert [c["id"] for c in listed["items"]] == [contract["id"]]
    assert agent_api.get("/api/v1/contracts", customer_id=ZERO).json()["items"] == []


def test_agents_read_but_do_not_write_contracts(
    agent_api: Api, anon_api: Api, account: Json, contract: Json
) -> None:
    body = {
        "name": "X",
        "customer": customer_of(account),
        "start_date": days(0),
        "end_date": days(1),
    }
    assert_error(agent_api.post("/api/v1/contracts", body), 403, "forbidden")
    assert_error(
        agent_api.post(
            f"/api/v1/contracts/{contract['id']}/lines",
            {"name": "L", "allotment_type": "cases", "total": 1},
        ),
        403,
        "forbidden",
    )
    assert_error(anon_api.get("/api/v1/contracts"), 401, "unauthenticated")
    assert_error(anon_api.get(f"/api/v1/contracts/{contract['id']}/lines"), 401, "unauthenticated")


def test_unknown_contracts_answer_404(manager_api: Api) -> None:
    assert_error(manager_api.get(f"/api/v1/contracts/{ZERO}"), 404, "not_found")
    assert_error(manager_api.get(f"/api/v1/contracts/{ZERO}/lines"), 404, "not_found")
    assert_error(
        manager_api.post(
            f"/api/v1/contracts/{ZERO}/lines", {"name": "L", "allotment_type": "cases"}
        ),
        404,
        "not_found",
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"allotment_type": "days"}, "allotment_type"),
        ({"total": -1}, "total"),
        ({"total": 2**31}, "total"),
        ({"allotment_type": "coverage_dates", "total": 3}, "total"),
        ({"start_date": days(-50)}, "start_date"),
        ({"start_date": days(5), "end_date": days(1)}, "end_date"),
        ({"product_id": ZERO}, "product_id"),
        ({"name": ""}, "name"),
        ({"extra": 1}, "extra"),
    ],
)
def test_a_bad_line_is_refused_with_422(
    manager_api: Api, contract: Json, fields: Json, field: str
) -> None:
    body = {"name": "Hotline", "allotment_type": "cases", "total": 5, **fields}
    error = assert_error(
        manager_api.post(f"/api/v1/contracts/{contract['id']}/lines", body),
        422,
        "validation_error",
    )
    assert field in error["details"]["fields"], error


def test_a_bad_contract_is_refused_with_422(manager_api: Api, account: Json) -> None:
    body = {
        "name": "X",
        "customer": customer_of(account),
        "start_date": days(5),
        "end_date": days(1),
    }
    error = assert_error(manager_api.post("/api/v1/contracts", body), 422, "validation_error")
    assert "end_date" in error["details"]["fields"]
    body = {**body, "end_date": days(9), "customer": {"type": "account", "id": ZERO}}
    error = assert_error(manager_api.post("/api/v1/contracts", body), 422, "validation_error")
    assert "customer" in error["details"]["fields"]


def test_resolving_uses_one_case_and_reactivating_gives_it_back(
    agent_api: Api, contract: Json, make_line: Make, new_case: Make
) -> None:
    line = make_line(total=2)
    case = new_case(contract_line_id=line["id"])
    assert case["contract_line_id"] == line["id"]
    assert _line(agent_api, contract, line["id"])["used"] == 0
    agent_api.post(f"/api/v1/cases/{case['id']}/resolve", {"resolution": "Done."})
    after = _line(agent_api, contract, line["id"])
    assert (after["used"], after["remaining"]) == (1, 1)
    agent_api.post(f"/api/v1/cases/{case['id']}/reactivate")
    assert _line(agent_api, contract, line["id"])["used"] == 0
    reasons = list(ContractLineLedger.objects.order_by("id").values_list("amount", "reason"))
    assert reasons == [(-1, "case_resolved"), (1, "case_reactivated")]


def test_resolving_uses_the_billable_minutes_of_a_minutes_line(
    agent_api: Api, contract: Json, make_line: Make, new_case: Make
) -> None:
    line = make_line(allotment_type="minutes", total=120)
    case = new_case(contract_line_id=line["id"])
    agent_api.post(
        f"/api/v1/cases/{case['id']}/resolve", {"resolution": "Done.", "billable_minutes": 45}
    )
    assert _line(agent_api, contract, line["id"])["remaining"] == 75


def test_a_coverage_dates_line_covers_cases_without_using_anything(
    agent_api: Api, contract: Json, make_line: Make, new_case: Make
) -> None:
    line = make_line(allotment_type="coverage_dates", total=0)
    case = new_case(contract_line_id=line["id"])
    agent_api.post(f"/api/v1/cases/{case['id']}/resolve", {"resolution": "Done."})
    assert _line(agent_api, contract, line["id"])["used"] == 0


def test_a_line_may_be_overused_and_shows_a_negative_remainder(
    agent_api: Api, contract: Json, make_line: Make, new_case: Make
) -> None:
    line = make_line(total=1)
    for _ in range(2):
        case = new_case(contract_line_id=line["id"])
        agent_api.post(f"/api/v1/cases/{case['id']}/resolve", {"resolution": "Done."})
    assert _line(agent_api, contract, line["id"])["remaining"] == -1


def test_changing_the_line_of_a_case_is_checked_and_kept_by_patch(
    agent_api: Api,
    manager_api: Api,
    other_account: Json,
    contract: Json,
    make_line: Make,
    new_case: Make,
) -> None:
    line = make_line()
    case = new_case()
    url = f"/api/v1/cases/{case['id']}"
    response = agent_api.patch(url, {"contract_line_id": line["id"]})
    assert response.status_code == 200 and response.json()["contract_line_id"] == line["id"]
    foreign = manager_api.post(
        "/api/v1/contracts",
        {
            "name": "Other",
            "customer": customer_of(other_account),
            "start_date": days(-1),
            "end_date": days(1),
        },
    ).json()
    foreign_line = manager_api.post(
        f"/api/v1/contracts/{foreign['id']}/lines", {"name": "L", "allotment_type": "cases"}
    ).json()
    error = assert_error(
        agent_api.patch(url, {"contract_line_id": foreign_line["id"]}), 422, "validation_error"
    )
    assert "contract_line_id" in error["details"]["fields"]
    future = make_line(start_date=days(50))
    assert_error(agent_api.patch(url, {"contract_line_id": future["id"]}), 422, "validation_error")
    # Moving the customer away drops a line of the old customer's contract.
    response = agent_api.patch(url, {"customer": customer_of(other_account)})
    assert response.json()["contract_line_id"] is None
