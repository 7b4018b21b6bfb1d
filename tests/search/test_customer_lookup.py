"""The customer lookup (docs/customers.md) on the engine's indexes: same rule as the plain LIKE
scan,
and no unindexed scans (EXPLAIN / EXPLAIN QUERY PLAN)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.db.models import QuerySet

from casedesk.customers import selectors
from casedesk.customers.models import Account, Contact
from casedesk.search.customers import like_account, like_contact, ranked_tiers
from tests.conftest import Api

pytestmark = pytest.mark.django_db

ACCOUNTS = [
    "Città di Milano",
    "Comune di Cittadella",
    "Acme Srl",
    "ACME Italia S.p.A.",
    "Bar Sport",
    "Sportello Unico",
    "O'Brien & Co",
    "Ab Costruzioni",
]
CONTACTS = [
    ("Mario", "Rossi", "mario.rossi@example.com", "+39 02 1234 5678"),
    ("Maria", "Rossini", "maria@rossini.it", "06-555-0101"),
    ("Ábel", "Nagy", "abel.nagy@example.hu", ""),
    ("Giulia", "Bianchi", "gb@acme.it", "333 9876543"),
]
QUERIES = [
    "citta",
    "CITTÀ",
    "mil",
    "di",
    "d",
    "c mil",
    "acme",
    "ac",
    "spa",
    "sport",
    "sp u",
    "o'b",
    "br",
    "rossi",
    "ros m",
    "example",
    "@acme",
    "1234",
    "5678",
    "+39",
    "06-555",
    "abel",
    "a",
    "zzz",
    "ma ro",
    "giulia 333",
]


@pytest.fixture
def customers(agent_api: Api) -> None:
    for name in ACCOUNTS:
        assert agent_api.post("/api/v1/accounts", {"name": name}).status_code == 201
    for first, last, email, phone in CONTACTS:
        body = {"first_name": first, "last_name": last, "email": email, "phone": phone}
        assert agent_api.post("/api/v1/contacts", body).status_code == 201


def _words(text: str) -> list[str]:
    from casedesk.core.text import fold

    return [w for w in fold(text).split(" ") if w]


@pytest.mark.parametrize("text", QUERIES)
def test_lookup_matches_the_plain_rule_when_indexed(customers: None, text: str) -> None:
    words = _words(text)
    expected_accounts = set(
        Account.objects.filter(like_account(words)).values_list("id", flat=True)
    )
    expected_contacts = set(
        Contact.objects.filter(like_contact(words)).values_list("id", flat=True)
    )
    assert set(selectors.account_list(search=text).values_list("id", flat=True)) == (
        expected_accounts
    )
    assert set(selectors.contact_list(search=text).values_list("id", flat=True)) == (
        expected_contacts
    )
    found = {r["id"] for r in selectors.customer_search(text=text, limit=200)}
    assert found == {str(i) for i in expected_accounts | expected_contacts}


def test_lookup_ranks_exact_then_prefix_then_infix_when_names_differ(
    agent_api: Api,
) -> None:
    for name in ["Rete Nord", "Rete", "Azienda Rete", "Retelit"]:
        agent_api.post("/api/v1/accounts", {"name": name})
    response = agent_api.get("/api/v1/customers", search="rete")
    assert response.status_code == 200
    names = [i["name"] for i in response.json()["items"]]
    assert names == ["Rete", "Rete Nord", "Retelit", "Azienda Rete"]


def test_lookup_follows_renames_when_a_customer_is_updated(agent_api: Api) -> None:
    account = agent_api.post("/api/v1/accounts", {"name": "Vecchio Nome"}).json()
    contact = agent_api.post(
        "/api/v1/contacts", {"last_name": "Verdi", "email": "old@example.com"}
    ).json()
    agent_api.patch(f"/api/v1/accounts/{account['id']}", {"name": "Nuovo Nome"})
    agent_api.patch(f"/api/v1/contacts/{contact['id']}", {"email": "nuova@posta.it"})
    assert [
        i["name"] for i in agent_api.get("/api/v1/customers", search="nuovo").json()["items"]
    ] == ["Nuovo Nome"]
    assert agent_api.get("/api/v1/customers", search="vecchio").json()["items"] == []
    assert [
        i["id"] for i in agent_api.get("/api/v1/customers", search="posta").json()["items"]
    ] == [contact["id"]]
    assert agent_api.get("/api/v1/customers", search="old@").json()["items"] == []


@pytest.mark.parametrize("text", ['"', "'", "a-b", "NEAR(", "*", "OR", "🙂", "%", "_", "x" * 200])
def test_lookup_never_fails_when_input_is_hostile(
    agent_api: Api, customers: None, text: str
) -> None:
    for path in ("/api/v1/customers", "/api/v1/accounts", "/api/v1/contacts"):
        response = agent_api.get(path, search=text)
        assert response.status_code == 200, (path, response.content)


def plan(qs: QuerySet[Any]) -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # the test's transaction: undone afterwards
            cursor.execute("SET LOCAL enable_seqscan = off")
    return qs.explain()


def assert_no_unindexed_scan(text: str) -> None:
    if connection.vendor == "sqlite":
        for line in text.splitlines():
            scan = re.search(r"\bSCAN (\w+)", line)
            assert not scan or "VIRTUAL TABLE INDEX" in line, text
    else:
        assert "Seq Scan" not in text, text


@pytest.mark.parametrize("text", ["citta", "c", "ro ma", "example", "+39 02", "ab mil"])
def test_lookup_uses_indexes_when_searching(customers: None, text: str) -> None:
    assert_no_unindexed_scan(plan(selectors.account_list(search=text)))
    assert_no_unindexed_scan(plan(selectors.contact_list(search=text)))


@pytest.mark.parametrize("text", ["citta", "c", "ro ma", "example", "mario rossi", "ab mil"])
def test_ranked_lookup_uses_indexes_in_every_tier(customers: None, text: str) -> None:
    for model in (Account, Contact):
        for tier in ranked_tiers(model, _words(text)):
            assert_no_unindexed_scan(plan(tier[:20]))
