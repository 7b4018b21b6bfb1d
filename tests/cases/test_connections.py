"""Connections between similar cases (docs/search.md): visible from both sides, through HTTP."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from casedesk.cases.models import Connection
from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db
ZERO = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
def resolve(agent: Any) -> Any:
    from casedesk.cases.services.lifecycle import case_resolve

    def run(case: dict[str, Any], resolution: str) -> None:
        case_resolve(
            actor=agent,
            case_id=uuid.UUID(case["id"]),
            resolution=resolution,
            resolution_type="problem_solved",
        )

    return run


def links(api: Api, case: dict[str, Any]) -> dict[str, Any]:
    response = api.get(f"/api/v1/cases/{case['id']}/similar-cases")
    assert response.status_code == 200, response.content
    return response.json()


def test_connection_is_visible_from_both_cases_when_added(
    agent_api: Api, new_case: Any, resolve: Any
) -> None:
    current = new_case(title="Modem guasto")
    old = new_case(title="Modem rotto")
    resolve(old, "Modem sostituito")
    response = agent_api.post(
        f"/api/v1/cases/{current['id']}/similar-cases", {"case_id": old["id"]}
    )
    assert response.status_code == 201, response.content
    link = response.json()
    assert link["case_id"] == old["id"]
    assert link["title"] == "Modem rotto"
    assert link["status"] == "problem_solved"
    assert link["solution_found"] is False
    assert link["resolution"] == "Modem sostituito"
    from_current = links(agent_api, current)
    assert [i["case_id"] for i in from_current["items"]] == [old["id"]]
    assert from_current["items"][0]["id"] == link["id"]
    assert from_current["solution"] is None
    from_old = links(agent_api, old)
    assert [i["case_id"] for i in from_old["items"]] == [current["id"]]
    assert from_old["items"][0]["id"] == link["id"]
    assert from_old["items"][0]["direction"] == "incoming"


def test_solution_found_shows_the_resolution_on_the_case_when_marked(
    agent_api: Api, new_case: Any, resolve: Any
) -> None:
    current = new_case(title="Stampante non stampa")
    old = new_case(title="Stampante bloccata")
    resolve(old, "Reinstallato il driver della stampante")
    response = agent_api.post(
        f"/api/v1/cases/{current['id']}/similar-cases",
        {"case_id": old["id"], "solution_found": True},
    )
    assert response.status_code == 201
    assert response.json()["solution_found"] is True
    body = links(agent_api, current)
    assert body["solution"]["case_id"] == old["id"]
    assert body["solution"]["resolution"] == "Reinstallato il driver della stampante"
    assert links(agent_api, old)["items"][0]["solution_found"] is True


def test_marking_an_existing_connection_as_solution_keeps_one_connection(
    agent_api: Api, new_case: Any
) -> None:
    current = new_case(title="A")
    other = new_case(title="B")
    path = f"/api/v1/cases/{current['id']}/similar-cases"
    assert agent_api.post(path, {"case_id": other["id"]}).status_code == 201
    again = agent_api.post(path, {"case_id": other["id"]})
    assert again.status_code == 200
    marked = agent_api.post(path, {"case_id": other["id"], "solution_found": True})
    assert marked.status_code == 200
    assert marked.json()["solution_found"] is True
    assert Connection.objects.count() == 1
    back = agent_api.post(f"/api/v1/cases/{other['id']}/similar-cases", {"case_id": current["id"]})
    assert back.status_code == 200
    assert Connection.objects.count() == 1


def test_connecting_needs_the_right_to_change_the_current_case_only(
    agent_api: Api, new_case: Any, make_user: Any, make_api: Any, resolve: Any
) -> None:
    mine = new_case(title="Mio caso")
    resolved_elsewhere = new_case(title="Caso risolto")
    resolve(resolved_elsewhere, "Fatto")
    stranger = make_api(make_user("agent"))
    theirs = new_case(stranger, title="Loro caso")
    # the other case (not changeable by the agent, and resolved) may be connected
    ok = agent_api.post(f"/api/v1/cases/{mine['id']}/similar-cases", {"case_id": theirs["id"]})
    assert ok.status_code == 201
    refused = agent_api.post(
        f"/api/v1/cases/{theirs['id']}/similar-cases", {"case_id": resolved_elsewhere["id"]}
    )
    assert_error(refused, 403, "forbidden")
    assert Connection.objects.count() == 1


def test_connecting_is_refused_when_the_other_case_is_bad(agent_api: Api, new_case: Any) -> None:
    current = new_case(title="A")
    path = f"/api/v1/cases/{current['id']}/similar-cases"
    err = assert_error(agent_api.post(path, {"case_id": current["id"]}), 422, "validation_error")
    assert "case_id" in err["details"]["fields"]
    err = assert_error(agent_api.post(path, {"case_id": ZERO}), 422, "validation_error")
    assert "case_id" in err["details"]["fields"]
    assert_error(agent_api.post(path, {}), 422, "validation_error")
    assert_error(agent_api.post(path, {"case_id": ZERO, "extra": 1}), 422, "validation_error")
    assert_error(agent_api.post(path, {"case_id": "not-a-uuid"}), 422, "validation_error")
    assert Connection.objects.count() == 0


def test_connections_answer_404_when_the_case_does_not_exist(agent_api: Api, new_case: Any) -> None:
    other = new_case(title="B")
    assert_error(agent_api.get(f"/api/v1/cases/{ZERO}/similar-cases"), 404, "not_found")
    assert_error(
        agent_api.post(f"/api/v1/cases/{ZERO}/similar-cases", {"case_id": other["id"]}),
        404,
        "not_found",
    )


def test_connections_need_authentication(anon_api: Api) -> None:
    assert_error(anon_api.get(f"/api/v1/cases/{ZERO}/similar-cases"), 401, "unauthenticated")
    assert_error(
        anon_api.post(f"/api/v1/cases/{ZERO}/similar-cases", {"case_id": ZERO}),
        401,
        "unauthenticated",
    )


def test_connection_writes_an_audit_row_and_a_system_post(agent_api: Api, new_case: Any) -> None:
    from casedesk.core.models import AuditEntry

    current = new_case(title="A")
    other = new_case(title="B")
    link = agent_api.post(
        f"/api/v1/cases/{current['id']}/similar-cases", {"case_id": other["id"]}
    ).json()
    entry = AuditEntry.objects.get(entity_id=link["id"])
    assert entry.action == "create"
    assert entry.changes["other_id"] == [None, other["id"]]
