"""`/cases?search=`: full-text search on the engine's index (docs/search.md, docs/api.md), through
HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api

pytestmark = pytest.mark.django_db

HOSTILE = [
    'servizio"',
    '"',
    "'",
    "a-b",
    "NEAR(",
    "NEAR(servizio rete, 2)",
    "*",
    "OR",
    "AND NOT",
    "title:rete",
    "{title}: rete",
    "rete^2",
    "(((",
    "🙂🔥",
    "x" * 200,
    "servizio " * 22,
    "CAS-",
    "CAS-99999999-ZZZZZZ",
    "%_\\",
    "\u00a0\t",
]


def titles(api: Api, **query: Any) -> list[str]:
    response = api.get("/api/v1/cases", **query)
    assert response.status_code == 200, response.content
    return [c["title"] for c in response.json()["items"]]


def test_search_folds_accents_when_the_query_has_none(agent_api: Api, new_case: Any) -> None:
    new_case("Disservizio nella città di Bergamo")
    new_case("Printer jam")
    assert titles(agent_api, search="citta") == ["Disservizio nella città di Bergamo"]
    assert titles(agent_api, search="CITTÀ") == ["Disservizio nella città di Bergamo"]


def test_search_matches_italian_word_forms_when_plural_differs(
    agent_api: Api, new_case: Any
) -> None:
    new_case("Interruzione del servizio in via Roma")
    new_case("Cambio indirizzo di fatturazione")
    assert titles(agent_api, search="interruzioni") == ["Interruzione del servizio in via Roma"]


def test_search_matches_english_word_forms_when_plural_differs(
    agent_api: Api, new_case: Any
) -> None:
    new_case("Printers offline after update")
    assert titles(agent_api, search="printer") == ["Printers offline after update"]


def test_search_requires_every_word_when_several_are_given(agent_api: Api, new_case: Any) -> None:
    new_case("Rete lenta in ufficio")
    new_case("Rete assente")
    assert titles(agent_api, search="rete lenta") == ["Rete lenta in ufficio"]


def test_search_finds_description_words_when_title_lacks_them(
    agent_api: Api, new_case: Any
) -> None:
    new_case("Problema generico", description="Il router Fritzbox si riavvia di continuo")
    assert titles(agent_api, search="fritzbox") == ["Problema generico"]


def test_search_finds_the_resolution_when_the_case_is_resolved(
    agent_api: Api, new_case: Any, resolve: Any
) -> None:
    case = new_case("Connessione instabile")
    resolve(case, "Sostituito il modem ADSL con un modello in fibra")
    assert titles(agent_api, search="modem fibra") == ["Connessione instabile"]


@pytest.mark.parametrize("text", HOSTILE)
def test_search_never_fails_when_input_is_hostile(agent_api: Api, new_case: Any, text: str) -> None:
    new_case("Servizio rete interrotto")
    response = agent_api.get("/api/v1/cases", search=text)
    assert response.status_code in (200, 422), response.content
    if response.status_code == 200:
        assert set(response.json()) == {"items", "next"}


def test_search_finds_the_case_when_a_ticket_number_is_typed(agent_api: Api, new_case: Any) -> None:
    new_case("Other case")
    wanted = new_case("Wanted case")
    ticket = wanted["ticket_number"]
    assert titles(agent_api, search=ticket) == ["Wanted case"]
    assert titles(agent_api, search=ticket.lower()) == ["Wanted case"]
    assert "Wanted case" in titles(agent_api, search=str(wanted["number"]))
    assert titles(agent_api, search=ticket[:-1] + ("A" if ticket[-1] != "A" else "B")) == []


def test_search_sees_a_change_when_it_is_committed(agent_api: Api, new_case: Any) -> None:
    case = new_case("Old title")
    assert titles(agent_api, search="pianoforte") == []
    response = agent_api.patch(f"/api/v1/cases/{case['id']}", {"title": "Pianoforte scordato"})
    assert response.status_code == 200
    assert titles(agent_api, search="pianoforte") == ["Pianoforte scordato"]
    assert titles(agent_api, search="old") == []


def test_search_combines_with_other_filters_when_given(
    agent_api: Api, new_case: Any, account: dict[str, Any]
) -> None:
    other = agent_api.post("/api/v1/accounts", {"name": "Altro Cliente"}).json()
    new_case("Stampante guasta")
    new_case("Stampante rotta", customer={"type": "account", "id": other["id"]})
    assert titles(agent_api, search="stampante", customer_id=other["id"]) == ["Stampante rotta"]
    assert titles(agent_api, search="stampante", state="resolved") == []
    assert sorted(titles(agent_api, search="stampante", state="active")) == [
        "Stampante guasta",
        "Stampante rotta",
    ]


def test_search_pages_with_the_keyset_cursor_when_many_match(agent_api: Api, new_case: Any) -> None:
    for i in range(5):
        new_case(f"Allarme numero {i}")
    first = agent_api.get("/api/v1/cases", search="allarme", limit=2).json()
    seen = [c["title"] for c in first["items"]]
    cursor = first["next"]
    while cursor:
        page = agent_api.get("/api/v1/cases", search="allarme", limit=2, cursor=cursor).json()
        seen += [c["title"] for c in page["items"]]
        cursor = page["next"]
    assert seen == [f"Allarme numero {i}" for i in range(4, -1, -1)]


def test_search_with_only_stop_words_finds_nothing_when_no_term_is_left(
    agent_api: Api, new_case: Any
) -> None:
    new_case("Il servizio")
    assert titles(agent_api, search="il") == []


def test_search_is_refused_when_too_long(agent_api: Api) -> None:
    response = agent_api.get("/api/v1/cases", search="x" * 201)
    assert response.status_code in (400, 422)
