from __future__ import annotations

from typing import Any

import pytest

from casedesk.core.models import AuditEntry
from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db


def test_agent_creates_an_account_with_audit(agent_api: Api, agent: Any) -> None:
    response = agent_api.post("/api/v1/accounts", {"name": "Città di Milano", "phone": "02 1234"})
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Città di Milano" and body["version"] == 1
    assert response["ETag"] == '"1"'
    entry = AuditEntry.objects.get(entity_id=body["id"])
    assert entry.action == "create" and entry.actor_id == agent.id


def test_account_needs_a_name(agent_api: Api) -> None:
    error = assert_error(
        agent_api.post("/api/v1/accounts", {"name": "  "}), 422, "validation_error"
    )
    assert "name" in error["details"]["fields"]


def test_contact_is_created_under_an_account(agent_api: Api) -> None:
    account = agent_api.post("/api/v1/accounts", {"name": "Acme"}).json()
    response = agent_api.post(
        "/api/v1/contacts",
        {
            "first_name": "Maria",
            "last_name": "Rossi",
            "email": "maria@acme.it",
            "account_id": account["id"],
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Maria Rossi" and body["account_id"] == account["id"]
    listed = agent_api.get("/api/v1/contacts", account_id=account["id"]).json()["items"]
    assert [c["id"] for c in listed] == [body["id"]]


def test_contact_with_unknown_account_is_422_naming_the_field(agent_api: Api) -> None:
    response = agent_api.post(
        "/api/v1/contacts",
        {"last_name": "Rossi", "account_id": "00000000-0000-0000-0000-000000000000"},
    )
    error = assert_error(response, 422, "validation_error")
    assert "account_id" in error["details"]["fields"]


def test_account_patch_is_a_merge_patch_with_if_match(agent_api: Api) -> None:
    account = agent_api.post("/api/v1/accounts", {"name": "Acme", "phone": "1"}).json()
    url = f"/api/v1/accounts/{account['id']}"
    response = agent_api.patch(url, {"name": "Acme Srl"}, headers={"If-Match": '"1"'})
    assert response.status_code == 200
    assert response.json()["name"] == "Acme Srl" and response.json()["phone"] == "1"
    assert response.json()["version"] == 2
    stale = agent_api.patch(url, {"name": "Other"}, headers={"If-Match": '"1"'})
    assert_error(stale, 412, "version_mismatch")
    assert agent_api.get(url).json()["name"] == "Acme Srl"


def test_account_patch_refuses_unknown_fields(agent_api: Api) -> None:
    account = agent_api.post("/api/v1/accounts", {"name": "Acme"}).json()
    assert_error(
        agent_api.patch(f"/api/v1/accounts/{account['id']}", {"colour": "red"}),
        422,
        "validation_error",
    )


def test_contact_patch_detaches_from_account(agent_api: Api) -> None:
    account = agent_api.post("/api/v1/accounts", {"name": "Acme"}).json()
    contact = agent_api.post(
        "/api/v1/contacts", {"last_name": "Rossi", "account_id": account["id"]}
    ).json()
    response = agent_api.patch(f"/api/v1/contacts/{contact['id']}", {"account_id": None})
    assert response.status_code == 200 and response.json()["account_id"] is None


def test_customer_search_finds_accounts_and_contacts_folding_accents(agent_api: Api) -> None:
    agent_api.post("/api/v1/accounts", {"name": "Città di Milano"})
    agent_api.post("/api/v1/contacts", {"first_name": "Niccolò", "last_name": "Cittadini"})
    agent_api.post("/api/v1/accounts", {"name": "Roma Trasporti"})
    items = agent_api.get("/api/v1/customers", search="citta").json()["items"]
    assert {(i["type"], i["name"]) for i in items} == {
        ("account", "Città di Milano"),
        ("contact", "Niccolò Cittadini"),
    }


def test_customer_search_needs_every_word_and_treats_short_words_as_prefixes(
    agent_api: Api,
) -> None:
    agent_api.post("/api/v1/accounts", {"name": "Banca Di Roma"})
    agent_api.post("/api/v1/accounts", {"name": "Banca Nazionale"})
    agent_api.post("/api/v1/accounts", {"name": "Edilbanca Srl"})
    found = agent_api.get("/api/v1/customers", search="banca di").json()["items"]
    assert [i["name"] for i in found] == ["Banca Di Roma"]
    # "anca" (4 letters) matches inside words; "an" (2 letters) only at the start of a word.
    infix = {i["name"] for i in agent_api.get("/api/v1/customers", search="anca").json()["items"]}
    assert infix == {"Banca Di Roma", "Banca Nazionale", "Edilbanca Srl"}
    assert agent_api.get("/api/v1/customers", search="an").json()["items"] == []


def test_customer_search_ranks_exact_then_prefix_then_infix(agent_api: Api) -> None:
    for name in ("Porta Nuova Rossi", "Rossi", "Rossi Forniture"):
        agent_api.post("/api/v1/accounts", {"name": name})
    names = [i["name"] for i in agent_api.get("/api/v1/customers", search="rossi").json()["items"]]
    assert names == ["Rossi", "Rossi Forniture", "Porta Nuova Rossi"]


def test_contacts_are_found_by_email_and_phone_digits(agent_api: Api) -> None:
    agent_api.post(
        "/api/v1/contacts",
        {"last_name": "Bianchi", "email": "l.bianchi@posta.it", "phone": "+39 02 555 1234"},
    )
    by_mail = agent_api.get("/api/v1/customers", search="posta.it").json()["items"]
    by_phone = agent_api.get("/api/v1/customers", search="5551234").json()["items"]
    assert [i["name"] for i in by_mail] == ["Bianchi"] == [i["name"] for i in by_phone]


def test_search_sees_every_committed_write(agent_api: Api) -> None:
    assert agent_api.get("/api/v1/customers", search="zeta").json()["items"] == []
    agent_api.post("/api/v1/accounts", {"name": "Zeta Spa"})
    assert len(agent_api.get("/api/v1/customers", search="zeta").json()["items"]) == 1


def test_customer_search_needs_authentication(anon_api: Api) -> None:
    assert_error(anon_api.get("/api/v1/customers", search="x"), 401, "unauthenticated")


def test_customer_page_has_recent_cases_and_activities(agent_api: Api) -> None:
    account = agent_api.post("/api/v1/accounts", {"name": "Acme"}).json()
    case = agent_api.post(
        "/api/v1/cases",
        {"title": "Printer jam", "customer": {"type": "account", "id": account["id"]}},
    ).json()
    page = agent_api.get(f"/api/v1/customers/account/{account['id']}")
    assert page.status_code == 200
    body = page.json()
    assert body["name"] == "Acme" and body["type"] == "account"
    assert [c["id"] for c in body["recent_cases"]] == [case["id"]]
    assert body["recent_activities"] == []


def test_customer_page_404s_for_unknown_type_or_id(agent_api: Api) -> None:
    zero = "00000000-0000-0000-0000-000000000000"
    assert_error(agent_api.get(f"/api/v1/customers/account/{zero}"), 404, "not_found")
    assert_error(agent_api.get(f"/api/v1/customers/robot/{zero}"), 404, "not_found")
    assert_error(agent_api.get("/api/v1/customers/contact/xyz"), 404, "not_found")
