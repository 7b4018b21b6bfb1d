"""`/cases/{id}/similar`: candidate similar cases (docs/search.md), through HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from casedesk.cases.models import Case
from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db
ZERO = "00000000-0000-0000-0000-000000000000"


def similar(api: Api, case: dict[str, Any], **query: Any) -> list[dict[str, Any]]:
    response = api.get(f"/api/v1/cases/{case['id']}/similar", **query)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"items", "next"}
    return body["items"]


def test_similar_ranks_resolved_cases_when_words_match(
    agent_api: Api, new_case: Any, resolve: Any, account: dict[str, Any]
) -> None:
    current = new_case("Interruzioni del servizio internet")
    in_title = new_case("Interruzione servizio fibra")
    resolve(in_title, "Riavviato l'apparato di zona")
    in_resolution = new_case("Linea muta")
    resolve(in_resolution, "Era una interruzione del servizio programmata")
    new_case("Interruzione servizio ancora aperta")  # active: not a default candidate
    items = similar(agent_api, current, q="interruzione servizio")
    assert [i["title"] for i in items] == ["Interruzione servizio fibra", "Linea muta"]
    first = items[0]
    assert set(first) >= {
        "id",
        "ticket_number",
        "title",
        "subject_id",
        "customer",
        "status",
        "resolution",
        "resolved_at",
        "rank",
    }
    assert first["resolution"] == "Riavviato l'apparato di zona"
    assert first["status"] == "problem_solved"
    assert first["resolved_at"] is not None
    assert first["customer"] == {"type": "account", "id": account["id"], "name": account["name"]}
    assert first["rank"] > items[1]["rank"]


def test_similar_never_lists_the_case_itself_when_it_matches(
    agent_api: Api, new_case: Any, resolve: Any
) -> None:
    current = new_case("Rete lenta")
    resolve(current, "Cavo sostituito")
    assert similar(agent_api, current, q="rete") == []
    assert similar(agent_api, current) == []


def test_similar_never_lists_merged_cases_when_state_is_any(agent_api: Api, new_case: Any) -> None:
    current = new_case("Rete lenta in sede")
    merged = new_case("Rete lenta a Milano")
    Case.objects.filter(id=merged["id"]).update(
        state="cancelled", status="merged", merged_into_id=current["id"]
    )
    from casedesk.search.indexing import case_index_write

    case_index_write(Case.objects.get(id=merged["id"]))
    plain = new_case("Rete lenta a Roma")
    assert [i["id"] for i in similar(agent_api, current, q="rete", state="any")] == [plain["id"]]
    assert [i["id"] for i in similar(agent_api, current, state="any")] == [plain["id"]]


def test_similar_filters_by_subject_when_given(
    agent_api: Api, new_case: Any, resolve: Any, subject: Any
) -> None:
    network = subject("Interruzioni di servizio")
    fibre = subject("Fibra", parent_id=network["id"])
    billing = subject("Fatturazione")
    current = new_case("Nuovo caso", subject_id=network["id"])
    top = new_case("Guasto generale", subject_id=network["id"])
    child = new_case("Guasto fibra", subject_id=fibre["id"])
    bill = new_case("Guasto fattura", subject_id=billing["id"])
    for case in (top, child, bill):
        resolve(case, "Risolto")
    only_top = similar(agent_api, current, subject_id=network["id"])
    assert [i["id"] for i in only_top] == [top["id"]]
    with_children = similar(agent_api, current, subject_id=network["id"], include_subsubjects=True)
    assert {i["id"] for i in with_children} == {top["id"], child["id"]}
    with_words = similar(
        agent_api, current, subject_id=network["id"], include_subsubjects=True, q="fibra"
    )
    assert [i["id"] for i in with_words] == [child["id"]]
    assert {i["id"] for i in similar(agent_api, current)} == {top["id"], child["id"], bill["id"]}


def test_similar_filters_by_state_when_given(agent_api: Api, new_case: Any, resolve: Any) -> None:
    current = new_case("Caso attuale")
    active = new_case("Modem guasto")
    done = new_case("Modem rotto")
    resolve(done, "Modem sostituito")
    assert [i["id"] for i in similar(agent_api, current, q="modem")] == [done["id"]]
    assert [i["id"] for i in similar(agent_api, current, q="modem", state="active")] == [
        active["id"]
    ]
    assert {i["id"] for i in similar(agent_api, current, q="modem", state="any")} == {
        active["id"],
        done["id"],
    }


def test_similar_finds_a_case_when_its_ticket_number_is_typed(
    agent_api: Api, new_case: Any, resolve: Any
) -> None:
    current = new_case("Caso attuale")
    wanted = new_case("Tutt'altro argomento")
    resolve(wanted, "Fatto")
    items = similar(agent_api, current, q=wanted["ticket_number"])
    assert [i["id"] for i in items] == [wanted["id"]]


@pytest.mark.parametrize("text", ['servizio"', "NEAR(", "*", "OR", "a-b", "🙂", "'", "x" * 200])
def test_similar_never_fails_when_words_are_hostile(
    agent_api: Api, new_case: Any, text: str
) -> None:
    current = new_case("Servizio")
    response = agent_api.get(f"/api/v1/cases/{current['id']}/similar", q=text)
    assert response.status_code == 200, response.content


def test_similar_pages_when_more_than_the_limit(
    agent_api: Api, new_case: Any, resolve: Any
) -> None:
    current = new_case("Caso attuale")
    for i in range(3):
        resolve(new_case(f"Guasto {i}"), "Risolto")
    for words in ({"q": "guasto"}, {}):
        first = agent_api.get(f"/api/v1/cases/{current['id']}/similar", limit=2, **words).json()
        assert len(first["items"]) == 2 and first["next"]
        rest = agent_api.get(
            f"/api/v1/cases/{current['id']}/similar", limit=2, cursor=first["next"], **words
        ).json()
        assert len(rest["items"]) == 1 and rest["next"] is None


def test_similar_answers_404_when_the_case_does_not_exist(agent_api: Api) -> None:
    assert_error(agent_api.get(f"/api/v1/cases/{ZERO}/similar"), 404, "not_found")


def test_similar_refuses_when_parameters_are_bad(agent_api: Api, new_case: Any) -> None:
    current = new_case("Caso")
    response = agent_api.get(f"/api/v1/cases/{current['id']}/similar", state="sideways")
    assert response.status_code in (400, 422)
    response = agent_api.get(f"/api/v1/cases/{current['id']}/similar", subject_id="nope")
    assert response.status_code in (400, 422)


def test_similar_needs_authentication(anon_api: Api) -> None:
    assert_error(anon_api.get(f"/api/v1/cases/{ZERO}/similar"), 401, "unauthenticated")
