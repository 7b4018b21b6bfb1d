"""`casedesk check`: the search indexes match their records; and the case search's plans."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from casedesk.cases.models import Case
from casedesk.cases.selectors import CaseFilters, case_list
from casedesk.core.invariants import run_all
from casedesk.search.checks import case_index_matches_cases, customer_index_matches_customers
from tests.conftest import Api
from tests.search.test_customer_lookup import assert_no_unindexed_scan, plan
from tests.support.skips import engine_reason

pytestmark = pytest.mark.django_db

CASE_TABLE = "search_case_fts" if connection.vendor == "sqlite" else "search_case_doc"
CASE_KEY = "rowid" if connection.vendor == "sqlite" else "number"


def violations() -> list[str]:
    return list(case_index_matches_cases()) + list(customer_index_matches_customers())


def execute(sql: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def test_check_passes_when_every_write_went_through_services(
    agent_api: Api, new_case: Any, resolve: Any
) -> None:
    case = new_case("Rete lenta", description="Da lunedì")
    agent_api.patch(f"/api/v1/cases/{case['id']}", {"title": "Rete lentissima"})
    resolve(new_case("Modem"), "Sostituito")
    agent_api.post("/api/v1/contacts", {"last_name": "Verdi", "email": "v@example.com"})
    assert violations() == []
    assert [name for name, _ in run_all() if name in {"search_index", "customer_index"}] == []


def test_check_reports_a_case_without_index_row(new_case: Any) -> None:
    case = new_case("Rete lenta")
    execute(f"DELETE FROM {CASE_TABLE} WHERE {CASE_KEY} = %s", [case["number"]])
    assert violations() == [f"case number {case['number']} has no search index row"]


def test_check_reports_an_out_of_date_row(new_case: Any) -> None:
    case = new_case("Rete lenta")
    Case.objects.filter(id=case["id"]).update(title="Changed behind the services")
    assert violations() == [f"search index row of case number {case['number']} is out of date"]


def test_check_reports_an_orphan_row(new_case: Any) -> None:
    case = new_case("Rete lenta")
    number = case["number"] + 10
    if connection.vendor == "sqlite":
        execute(
            "INSERT INTO search_case_fts (rowid, title, resolution, description, tags)"
            " VALUES (%s, 'x', '', '', 'stateactive')",
            [number],
        )
    else:
        execute(
            "INSERT INTO search_case_doc (number, case_id, state, status, subject_id, title,"
            " resolution, description) VALUES (%s, gen_random_uuid(), 'active', 'in_progress',"
            " NULL, 'x', '', '')",
            [number],
        )
    assert violations() == [f"search index row {number} has no case"]


@pytest.mark.skipif(
    connection.vendor != "sqlite", reason=engine_reason("sqlite", "SQLite's own customer index")
)
def test_check_reports_a_stale_customer_row(agent_api: Api) -> None:
    account = agent_api.post("/api/v1/accounts", {"name": "Acme"}).json()
    from casedesk.customers.models import Account

    Account.objects.filter(id=account["id"]).update(name_folded="other")
    assert len(violations()) == 1


@pytest.mark.parametrize(
    "filters",
    [
        {"search": "rete"},
        {"search": "rete lenta", "state": "active"},
        {"search": "rete", "subject_id": "00000000-0000-0000-0000-000000000001"},
        {"search": "rete", "customer_id": "00000000-0000-0000-0000-000000000001"},
        {"search": "rete", "owner_id": "00000000-0000-0000-0000-000000000001"},
    ],
)
def test_case_search_uses_indexes_when_listing(new_case: Any, filters: dict[str, Any]) -> None:
    import uuid

    new_case("Rete lenta")
    for key in ("subject_id", "customer_id", "owner_id"):
        if key in filters:
            filters[key] = uuid.UUID(filters[key])
    qs = case_list(CaseFilters(**filters), viewer=None).order_by("-created_at", "-id")[:51]
    assert_no_unindexed_scan(plan(qs))


@pytest.mark.django_db(transaction=True)
def test_a_flushed_database_keeps_no_index_rows(agent_api: Api, new_case: Any) -> None:
    """A flush (what isolates a test that commits) deletes the records without the services:
    their index rows go too, so a later test's check finds no row without its record."""
    from django.core.management import call_command

    new_case("Rete lenta")
    agent_api.post("/api/v1/contacts", {"last_name": "Verdi", "email": "v@example.com"})
    call_command("flush", interactive=False, verbosity=0)

    tables = [CASE_TABLE]
    if connection.vendor == "sqlite":
        tables += ["search_customer_fts", "search_customer_word", "search_customer_key"]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {table}")
            assert cursor.fetchone()[0] == 0, table
    assert violations() == []
