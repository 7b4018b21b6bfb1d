"""Reads compiled once per process (casedesk/core/statements.py) answer what their queryset
answers, with the values of each run."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections
from django.db.models.sql.compiler import SQLCompiler

from casedesk.cases.models import Activity, Case
from casedesk.core.statements import Statement
from casedesk.entitlements.models import Entitlement
from tests.conftest import Api

pytestmark = pytest.mark.django_db
NewCase = Callable[..., dict[str, Any]]


@pytest.fixture
def new_case(agent_api: Api) -> NewCase:
    account = agent_api.post("/api/v1/accounts", {"name": "Acme Srl"}).json()

    def make(**fields: Any) -> dict[str, Any]:
        body = {"title": "Internet down", "customer": {"type": "account", "id": account["id"]}}
        response = agent_api.post("/api/v1/cases", {**body, **fields})
        assert response.status_code == 201, response.content
        return dict(response.json())

    return make


def _compiles(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = SQLCompiler.as_sql

    def counted(self: SQLCompiler, *args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counted)
    return calls


def test_each_run_answers_its_own_values_with_the_sql_compiled_once(
    new_case: NewCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, two = new_case(), new_case()
    by_id = Statement[Case](
        lambda case_id: Case.objects.select_related("owner_user", "customer_account").filter(
            id=case_id
        )[:1]
    )
    calls = _compiles(monkeypatch)
    first = by_id.run(case_id=uuid.UUID(one["id"]))
    compiled = len(calls)
    second = by_id.run(case_id=uuid.UUID(two["id"]))
    third = by_id.run(case_id=uuid.UUID(one["id"]))
    assert [c.ticket_number for c in (*first, *second, *third)] == [
        one["ticket_number"],
        two["ticket_number"],
        one["ticket_number"],
    ]
    assert len(calls) == compiled  # the later runs compiled nothing
    # select_related came along: no further read for the owner
    assert first[0].owner_user.username and first[0].customer_account is not None
    assert by_id.run(case_id=uuid.uuid4()) == []


def test_numbers_text_dates_and_value_rows_are_taken(new_case: NewCase) -> None:
    case = new_case(title="Printer jammed")
    by_number = Statement[tuple[str, str]](
        lambda number, title: Case.objects.filter(number=number, title=title).values_list(
            "ticket_number", "title"
        )
    )
    found = Case.objects.get(id=case["id"])
    assert by_number.run(number=found.number, title="Printer jammed") == [
        (case["ticket_number"], "Printer jammed")
    ]
    assert by_number.run(number=found.number, title="Printer") == []
    since = Statement[uuid.UUID](
        lambda day: Entitlement.objects.filter(start_date__lte=day).values_list("id", flat=True)
    )
    expected = list(
        Entitlement.objects.filter(start_date__lte=dt.date(2026, 12, 7)).values_list(
            "id", flat=True
        )
    )
    assert sorted(since.run(day=dt.date(2026, 12, 7))) == sorted(expected)
    assert since.run(day=dt.date(1900, 1, 1)) == []


def test_none_and_values_the_sql_does_not_show_are_compiled_at_each_run(
    new_case: NewCase,
) -> None:
    case = new_case()
    by_parent = Statement[Case](lambda parent_id: Case.objects.filter(parent_id=parent_id))
    assert {c.pk for c in by_parent.run(parent_id=None)} == set(
        Case.objects.filter(parent_id__isnull=True).values_list("id", flat=True)
    )
    # The build ignores its value: there is nothing to fill in, so nothing is kept.
    ignoring = Statement[Case](lambda case_id: Case.objects.filter(title__startswith="x"))
    assert ignoring.run(case_id=uuid.UUID(case["id"])) == []
    assert ignoring.run(case_id=uuid.UUID(case["id"])) == []
    with pytest.raises(TypeError):
        Statement[Case](lambda flag: Case.objects.filter(billed=flag)).run(flag=True)


def test_activities_with_their_owner_as_the_timeline_reads_them(
    new_case: NewCase, agent: Any
) -> None:
    from casedesk.cases.services.activities import activity_create

    case = new_case()
    activity_create(actor=agent, case_id=uuid.UUID(case["id"]), type="task", subject="Call back")
    newest = Statement[Activity](
        lambda case_id: (
            Activity.objects.select_related("owner")
            .filter(case_id=case_id)
            .order_by("-created_at", "-id")[:51]
        )
    )
    got = newest.run(case_id=uuid.UUID(case["id"]))
    orm = list(
        Activity.objects.select_related("owner")
        .filter(case_id=case["id"])
        .order_by("-created_at", "-id")[:51]
    )
    assert [(a.pk, a.subject, a.owner.username) for a in got] == [
        (a.pk, a.subject, a.owner.username) for a in orm
    ]


@pytest.mark.django_db(transaction=True)
def test_a_statement_compiled_on_one_thread_runs_on_the_connection_of_another(
    new_case: NewCase,
) -> None:
    case = new_case()
    by_id = Statement[Case](lambda case_id: Case.objects.filter(id=case_id))
    assert [c.pk for c in by_id.run(case_id=uuid.UUID(case["id"]))] == [uuid.UUID(case["id"])]
    seen: list[Any] = []

    def other() -> None:
        try:
            seen.extend(c.pk for c in by_id.run(case_id=uuid.UUID(case["id"])))
            seen.append(connections["default"].queries_log is not None)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert seen == [uuid.UUID(case["id"]), True]
