"""Bulk import of cases (`cases_import`, `casedesk import cases`, `POST /cases/import`): every row
checked like a new case before anything is written, history written set-wise, and a database
that `casedesk check` finds clean afterwards."""

from __future__ import annotations

import datetime as dt
import gc
import io
import json
import subprocess
import sys
import types
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from casedesk.api.routers.cases import CaseIn
from casedesk.cases.models import Activity, Case, CaseNumber
from casedesk.cases.services import imports
from casedesk.cases.services.common import case_snapshot
from casedesk.core.audit import diff
from casedesk.core.choices import Channel
from casedesk.core.errors import Forbidden, ValidationFailed
from casedesk.core.invariants import run_all
from casedesk.core.models import AuditEntry
from casedesk.customers.services import account_create, contact_create
from tests.conftest import Api
from tests.support.processes import CASEDESK, fresh_database_env, run

pytestmark = pytest.mark.django_db

WHEN = "2021-03-04T09:30:00+00:00"
LATER = "2021-03-05T17:00:00+00:00"


@pytest.fixture
def acme(admin: Any) -> Any:
    return account_create(actor=admin, name="Acme Srl")


def row(who: Any, /, **fields: Any) -> dict[str, Any]:
    kind = "account" if who.__class__.__name__ == "Account" else "contact"
    out: dict[str, Any] = {
        "title": "Router fermo",
        "customer": {"type": kind, "id": str(who.pk)},
    }
    out.update(fields)
    return out


def resolved(who: Any, /, **fields: Any) -> dict[str, Any]:
    base = {
        "status": "problem_solved",
        "created_at": WHEN,
        "resolved_at": LATER,
        "resolution": "Sostituito il modem della fibra",
    }
    base.update(fields)
    return row(who, **base)


def counts() -> tuple[int, int, int, int]:
    return (
        Case.objects.count(),
        CaseNumber.objects.count(),
        Activity.objects.count(),
        AuditEntry.objects.filter(entity_type="case").count(),
    )


def refusal(actor: Any, rows: list[Any], **kw: Any) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        imports.cases_import(actor=actor, rows=rows, channel="cli", **kw)
    return caught.value


# --- validation: the row and the field, nothing written ------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"description": "bad \x00 text"}, "description"),
        ({"origin": "pigeon"}, "origin"),
        ({"priority": "urgent"}, "priority"),
        ({"state": "resolved", "status": "on_hold"}, "status"),
        ({"status": "merged"}, "status"),
        ({"state": "resolved", "resolved_at": LATER, "created_at": WHEN}, "resolution"),
        ({"status": "problem_solved", "resolution": "Fatto", "created_at": WHEN}, "resolved_at"),
        ({"resolution": "Fatto"}, "resolution"),
        ({"state": "cancelled", "resolved_at": LATER}, "resolved_at"),
        (
            {
                "status": "problem_solved",
                "resolution": "x",
                "created_at": LATER,
                "resolved_at": WHEN,
            },
            "resolved_at",
        ),
        ({"created_at": "2999-01-01T00:00:00Z"}, "created_at"),
        ({"created_at": "1850-01-01T00:00:00Z"}, "created_at"),
        ({"created_at": "0001-01-01T00:30:00+01:00"}, "created_at"),
        ({"ticket_number": "CAS-01000-ABCDEF"}, "ticket_number"),
        ({"ticket_number": "x" * 41}, "ticket_number"),
        ({"colour": "red"}, "colour"),
        ({"customer": {"type": "account", "id": str(uuid.uuid4())}}, "customer"),
        ({"customer": {"type": "vendor", "id": str(uuid.uuid4())}}, "customer.type"),
        ({"subject_id": str(uuid.uuid4())}, "subject_id"),
        ({"product_id": str(uuid.uuid4())}, "product_id"),
        ({"contact_id": str(uuid.uuid4())}, "contact_id"),
        ({"owner": {"type": "team", "id": str(uuid.uuid4())}}, "owner"),
        ({"owner": {"type": "user", "id": str(uuid.uuid4())}}, "owner"),
        ({"billable_minutes": 30}, "billable_minutes"),
    ],
)
def test_a_bad_row_refuses_the_import_naming_row_and_field_when_not_skipping(
    admin: Any, acme: Any, fields: dict[str, Any], field: str
) -> None:
    before = counts()
    rows = [row(acme, title="Primo"), row(acme, title="Secondo"), row(acme, **fields)]
    error = refusal(admin, rows)
    assert error.details["row"] == 3  # rows count from 1
    assert f"rows.3.{field}" in error.details["fields"], error.details
    assert error.message.startswith("Row 3: ")
    assert counts() == before


def test_a_contact_outside_the_customer_is_refused(admin: Any, acme: Any) -> None:
    other = account_create(actor=admin, name="Other")
    stranger = contact_create(actor=admin, last_name="Rossi", account_id=other.pk)
    error = refusal(admin, [row(acme, contact_id=str(stranger.pk))])
    assert error.details["fields"] == {
        "rows.1.contact_id": "the contact does not belong to the customer"
    }


def test_an_inactive_owner_is_refused(admin: Any, acme: Any, make_user: Any) -> None:
    gone = make_user("agent")
    gone.is_active = False
    gone.save()
    error = refusal(admin, [row(acme, owner={"type": "user", "id": str(gone.pk)})])
    assert error.details["fields"] == {"rows.1.owner": "no such user"}


def test_a_bad_row_in_a_later_batch_writes_nothing_of_earlier_batches(
    admin: Any, acme: Any
) -> None:
    before = counts()
    rows = [row(acme, title=f"Caso {i}") for i in range(7)] + [row(acme, title="")]
    error = refusal(admin, rows, batch_size=2)
    assert error.details["row"] == 8
    assert counts() == before


def test_the_lowest_bad_row_is_named_when_several_are_bad(admin: Any, acme: Any) -> None:
    rows = [
        row(acme),
        row(acme, subject_id=str(uuid.uuid4())),  # found by the reference check
        row(acme, title=""),  # found by the row check
    ]
    assert refusal(admin, rows).details["row"] == 2


def test_skipping_invalid_rows_imports_the_others_and_reports_each(admin: Any, acme: Any) -> None:
    rows = [
        row(acme, title="Buono"),
        row(acme, title=""),
        row(acme, subject_id=str(uuid.uuid4())),
        row(acme, title="Anche buono"),
    ]
    result = imports.cases_import(actor=admin, rows=rows, channel="cli", skip_invalid=True)
    assert [c.row for c in result.cases] == [1, 4]
    assert [(p.row, list(p.fields)) for p in result.skipped] == [
        (2, ["title"]),
        (3, ["subject_id"]),
    ]
    assert set(Case.objects.values_list("title", flat=True)) == {"Buono", "Anche buono"}


SHARED_VALUES: dict[str, list[Any]] = {
    "title": ["", "  ", " Rete ", "x" * 200, "x" * 201, "a\x00b", "\ud800"],
    "description": ["", " testo ", "x" * 100_000, "x" * 100_001, "\x00"],
    "origin": ["phone", "iot", "pigeon", None],
    "priority": [None, "high", "urgent"],
    "case_type": [None, "problem", "bug"],
    "contact_id": [None, str(uuid.UUID(int=1)), "not-a-uuid"],
    "subject_id": [str(uuid.UUID(int=2)), 3],
    "owner": [{"type": "team", "id": str(uuid.UUID(int=3))}, {"type": "robot", "id": "x"}],
    "customer": [{"type": "contact", "id": str(uuid.UUID(int=4))}, {"type": "account"}],
}


def _outcome(schema: Any, body: dict[str, Any], field: str) -> Any:
    from pydantic import ValidationError

    try:
        value = getattr(schema.model_validate(body), field)
    except ValidationError:
        return "refused"
    return value.model_dump() if hasattr(value, "model_dump") else value


@pytest.mark.parametrize("field", sorted(SHARED_VALUES))
def test_the_import_refuses_and_keeps_what_the_api_create_does(field: str) -> None:
    """Same limits as `POST /cases` for the fields they share."""
    base = {"title": "Rete", "customer": {"type": "account", "id": str(uuid.UUID(int=9))}}
    for value in SHARED_VALUES[field]:
        body = {**base, field: value}
        assert _outcome(imports.CaseImportRow, body, field) == _outcome(CaseIn, body, field), (
            field,
            value,
        )


# --- who may import ------------------------------------------------------------------------


def test_agents_may_not_import(agent: Any, acme: Any) -> None:
    with pytest.raises(Forbidden):
        imports.cases_import(actor=agent, rows=[row(acme)], channel="cli")
    assert Case.objects.count() == 0


def test_managers_import_from_the_command_line_but_not_through_the_api(
    manager: Any, acme: Any
) -> None:
    with pytest.raises(Forbidden):
        imports.cases_import(actor=manager, rows=[row(acme)], channel="api")
    result = imports.cases_import(actor=manager, rows=[row(acme)], channel="cli")
    assert len(result.cases) == 1


# --- what is written -------------------------------------------------------------------------


def test_a_resolved_row_gets_its_history_and_a_completed_resolution(
    admin: Any, acme: Any, make_user: Any
) -> None:
    owner = make_user("agent")
    result = imports.cases_import(
        actor=admin,
        rows=[
            resolved(
                acme,
                owner={"type": "user", "id": str(owner.pk)},
                billable_minutes=45,
                created_at="2021-03-04T10:30:00+01:00",
            )
        ],
        channel="cli",
    )
    case = Case.objects.get(pk=result.cases[0].id)
    assert (case.state, case.status, case.stage) == ("resolved", "problem_solved", "resolve")
    assert case.created_at == dt.datetime(2021, 3, 4, 9, 30, tzinfo=dt.UTC)
    assert case.resolved_at == dt.datetime(2021, 3, 5, 17, 0, tzinfo=dt.UTC)
    assert case.owner_user_id == owner.pk and case.created_by_id == admin.pk
    assert (case.total_minutes, case.billable_minutes) == (0, 45)
    assert case.entitlement_id is None
    (resolution,) = Activity.objects.filter(case=case)
    assert resolution.type == "case_resolution" and resolution.state == "completed"
    assert resolution.description == "Sostituito il modem della fibra"
    assert resolution.closed_at == case.resolved_at == resolution.created_at
    assert resolution.resolution_type == "problem_solved"
    assert (resolution.total_minutes, resolution.billable_minutes) == (0, 45)
    assert not resolution.superseded


def test_state_or_status_alone_is_completed_with_its_pair(admin: Any, acme: Any) -> None:
    result = imports.cases_import(
        actor=admin,
        rows=[row(acme), row(acme, state="cancelled"), row(acme, status="on_hold")],
        channel="cli",
    )
    got = [Case.objects.values_list("state", "status").get(pk=c.id) for c in result.cases]
    assert got == [("active", "in_progress"), ("cancelled", "cancelled"), ("active", "on_hold")]


def test_search_finds_the_words_of_imported_cases(admin: Any, acme: Any, agent_api: Api) -> None:
    imports.cases_import(
        actor=admin,
        rows=[
            resolved(acme, title="Stampante inceppata", resolution="Rimossa la carta incastrata"),
            row(acme, title="Fattura doppia", description="Addebito ripetuto sul conto"),
        ],
        channel="cli",
    )

    def found(word: str) -> list[str]:
        response = agent_api.get("/api/v1/cases", search=word)
        assert response.status_code == 200
        return [c["title"] for c in response.json()["items"]]

    assert found("incastrata") == ["Stampante inceppata"]  # a word of the resolution
    assert found("addebiti") == ["Fattura doppia"]  # a form of a word of the description
    assert found("stampanti") == ["Stampante inceppata"]


def test_given_ticket_numbers_are_kept_and_others_generated(admin: Any, acme: Any) -> None:
    result = imports.cases_import(
        actor=admin,
        rows=[row(acme, ticket_number="HD-2019-0042"), row(acme), row(acme)],
        channel="cli",
    )
    tickets = [c.ticket_number for c in result.cases]
    assert tickets[0] == "HD-2019-0042"
    for case in result.cases[1:]:
        assert case.ticket_number.startswith(f"CAS-{case.number:05d}-")
        assert len(case.ticket_number.rsplit("-", 1)[1]) == 6
    stored = dict(Case.objects.values_list("id", "ticket_number"))
    assert [stored[c.id] for c in result.cases] == tickets


def test_a_ticket_number_already_taken_is_refused(admin: Any, acme: Any) -> None:
    imports.cases_import(actor=admin, rows=[row(acme, ticket_number="HD-1")], channel="cli")
    before = counts()
    error = refusal(admin, [row(acme, ticket_number="HD-2"), row(acme, ticket_number="HD-1")])
    assert error.details["fields"] == {"rows.2.ticket_number": "is already taken"}
    assert counts() == before


def test_a_ticket_number_twice_in_the_input_is_refused(admin: Any, acme: Any) -> None:
    rows = [row(acme, ticket_number="HD-7"), row(acme), row(acme, ticket_number="HD-7")]
    error = refusal(admin, rows, batch_size=1)
    assert error.details["fields"] == {"rows.3.ticket_number": "is also in row 1"}
    assert Case.objects.count() == 0


def test_rows_are_named_by_their_line_numbers_when_given_as_lines(admin: Any, acme: Any) -> None:
    lines = [
        imports.Line(1, row(acme, ticket_number="HD-7")),
        imports.Line(4, row(acme)),
        imports.Line(6, row(acme, ticket_number="HD-7")),
    ]
    error = refusal(admin, lines)
    assert error.details["row"] == 6
    assert error.details["fields"] == {"rows.6.ticket_number": "is also on line 1"}
    assert error.message == "Line 6: ticket_number: is also on line 1"


def test_an_unreadable_line_is_skipped_and_reported_when_skipping(admin: Any, acme: Any) -> None:
    lines = [
        imports.Line(1, row(acme, title="Buono")),
        imports.Line(2, unreadable="not valid JSON"),
        imports.Line(3, [1, 2]),
    ]
    result = imports.cases_import(actor=admin, rows=lines, channel="cli", skip_invalid=True)
    assert [c.row for c in result.cases] == [1]
    assert [(p.row, p.fields) for p in result.skipped] == [
        (2, {"": "not valid JSON"}),
        (3, {"": "a case must be a JSON object"}),
    ]


def test_an_unreadable_line_refuses_the_import_when_not_skipping(admin: Any, acme: Any) -> None:
    before = counts()
    error = refusal(admin, [imports.Line(1, row(acme)), imports.Line(2, unreadable="not JSON")])
    assert error.details["row"] == 2
    assert error.details["fields"] == {"rows.2": "not JSON"}
    assert error.message == "Line 2: not JSON"
    assert counts() == before


def test_a_ticket_number_taken_while_writing_keeps_earlier_batches_only(
    admin: Any, acme: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    imports.cases_import(actor=admin, rows=[row(acme, ticket_number="HD-9")], channel="cli")
    monkeypatch.setattr(imports, "check_references", lambda rows: [])  # as if taken later
    error = refusal(
        admin, [row(acme, title="Prima"), row(acme, ticket_number="HD-9")], batch_size=1
    )
    assert error.details["row"] == 2 and error.details["imported"] == 1
    assert Case.objects.filter(title="Prima").count() == 1
    assert Case.objects.filter(ticket_number="HD-9").count() == 1


def test_numbers_continue_after_existing_cases(admin: Any, acme: Any, admin_api: Api) -> None:
    body = {"title": "Before", "customer": {"type": "account", "id": str(acme.pk)}}
    first = admin_api.post("/api/v1/cases", body).json()
    result = imports.cases_import(
        actor=admin, rows=[row(acme) for _ in range(5)], channel="cli", batch_size=2
    )
    numbers = [c.number for c in result.cases]
    assert len(set(numbers)) == 5 and min(numbers) > first["number"]
    after = admin_api.post("/api/v1/cases", body).json()
    assert after["number"] > max(numbers)


def test_each_case_gets_one_create_audit_entry_marked_imported(
    admin: Any, acme: Any, make_user: Any
) -> None:
    team_owner = {"type": "team", "id": str(make_user("agent", teams=["Tier 1"]).teams.get().pk)}
    result = imports.cases_import(
        actor=admin,
        rows=[resolved(acme), row(acme, owner=team_owner, case_type="problem")],
        channel="cli",
    )
    for imported in result.cases:
        (entry,) = AuditEntry.objects.filter(entity_id=imported.id)
        assert (entry.action, entry.channel, entry.actor_id) == ("create", "cli", admin.pk)
        assert entry.details == {"imported": True}
        case = Case.objects.get(pk=imported.id)
        assert entry.changes == diff({}, case_snapshot(case))


def test_imported_cases_consume_no_entitlement_terms(
    admin: Any, acme: Any, manager_api: Api
) -> None:
    today = dt.date.today()
    entitlement = manager_api.post(
        "/api/v1/entitlements",
        {
            "name": "Support",
            "customer": {"type": "account", "id": str(acme.pk)},
            "start_date": str(today - dt.timedelta(days=30)),
            "end_date": str(today + dt.timedelta(days=30)),
            "allocation_type": "cases",
            "total_terms": 5,
            "decrease_on": "creation",
            "is_default": True,
        },
    ).json()
    assert manager_api.post(f"/api/v1/entitlements/{entitlement['id']}/activate").status_code == 200
    imports.cases_import(actor=admin, rows=[row(acme), resolved(acme)], channel="cli")
    remaining = manager_api.get(f"/api/v1/entitlements/{entitlement['id']}").json()
    assert remaining["remaining_terms"] == 5
    assert not Case.objects.filter(entitlement__isnull=False).exists()
    # A case created the ordinary way does consume one: the entitlement applies.
    body = {"title": "New", "customer": {"type": "account", "id": str(acme.pk)}}
    assert manager_api.post("/api/v1/cases", body).json()["entitlement_id"] == entitlement["id"]


def test_check_is_clean_after_an_import_of_every_kind_of_row(
    admin: Any, acme: Any, make_user: Any, manager_api: Api
) -> None:
    person = contact_create(actor=admin, last_name="Bianchi", account_id=acme.pk)
    alone = contact_create(actor=admin, last_name="Verdi")
    subject = manager_api.post("/api/v1/subjects", {"name": "Rete"}).json()["id"]
    product = manager_api.post("/api/v1/products", {"name": "Router X"}).json()["id"]
    rows = [
        row(acme, contact_id=str(person.pk), subject_id=subject, product_id=product),
        row(alone, contact_id=str(alone.pk), state="cancelled", created_at=WHEN),
        resolved(acme, status="information_provided", ticket_number="OLD-1"),
        resolved(alone, billable_minutes=90, subject_id=subject),
        row(acme, status="researching", stage="research", priority="high", origin="email"),
    ]
    rows = [dict(r) for r in rows * 3]
    for i, r in enumerate(rows):
        if "ticket_number" in r:
            r["ticket_number"] = f"OLD-{i}"
    imports.cases_import(actor=admin, rows=rows, channel="cli", batch_size=4)
    assert Case.objects.count() == 15
    assert list(run_all()) == []


# --- the cycle collector -------------------------------------------------------------------


class CollectorWatch:
    """Input rows that note, as each is read, whether the cycle collector is on."""

    def __init__(self, rows: list[Any]) -> None:
        self.rows = rows
        self.collecting: list[bool] = []

    def __iter__(self) -> Any:
        for item in self.rows:
            self.collecting.append(gc.isenabled())
            yield item


def test_an_import_leaves_the_cycle_collector_on_when_a_request_runs_it(
    admin: Any, acme: Any
) -> None:
    # A server process serves other requests meanwhile (other threads on PostgreSQL): the
    # collector is the whole process's, so a request must not switch it off.
    rows = CollectorWatch([row(acme, title=f"Caso {i}") for i in range(3)])
    imports.cases_import(actor=admin, rows=rows, channel=Channel.API)
    assert rows.collecting == [True, True, True]
    assert gc.isenabled()


def _stdin_lines(rows: list[Any]) -> CollectorWatch:
    return CollectorWatch([json.dumps(r).encode() + b"\n" for r in rows])


def test_the_command_line_import_pauses_the_cycle_collector_while_it_runs(
    admin: Any, acme: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = _stdin_lines([row(acme, title=f"Caso {i}") for i in range(3)])
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(buffer=lines))
    call_command("import", "cases", "-", "--as", admin.username, stdout=io.StringIO())
    assert lines.collecting == [False, False, False]
    assert gc.isenabled()
    assert Case.objects.filter(title__startswith="Caso ").count() == 3


def test_the_command_line_import_turns_the_cycle_collector_back_on_when_it_fails(
    admin: Any, acme: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = _stdin_lines([row(acme), {"title": ""}])
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(buffer=lines))
    with pytest.raises(CommandError, match="line 2"):
        call_command("import", "cases", "-", "--as", admin.username)
    assert lines.collecting == [False, False]
    assert gc.isenabled()


# --- the API -------------------------------------------------------------------------------


def test_api_import_answers_201_with_ids_and_ticket_numbers(
    admin_api: Api, acme: Any, admin: Any
) -> None:
    response = admin_api.post(
        "/api/v1/cases/import",
        {"cases": [row(acme, ticket_number="WEB-1"), resolved(acme)]},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["imported"] == 2
    assert [c["row"] for c in body["cases"]] == [1, 2]
    assert body["cases"][0]["ticket_number"] == "WEB-1"
    stored = Case.objects.get(pk=body["cases"][1]["id"])
    assert stored.ticket_number == body["cases"][1]["ticket_number"]
    (entry,) = AuditEntry.objects.filter(entity_id=stored.pk)
    assert entry.channel == "api"


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"title": ""}, "cases.1.title"),  # refused by the schema
        ({"customer": {"type": "account", "id": str(uuid.UUID(int=7))}}, "cases.1.customer"),
        ({"status": "problem_solved"}, "cases.1.resolution"),  # refused by the service
    ],
)
def test_api_import_refuses_a_bad_case_naming_its_index(
    admin_api: Api, acme: Any, bad: dict[str, Any], field: str
) -> None:
    response = admin_api.post("/api/v1/cases/import", {"cases": [row(acme), row(acme, **bad)]})
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"]["fields"], error
    assert Case.objects.count() == 0


def test_api_import_counts_cases_from_1_in_row_and_message_and_from_0_in_field_paths(
    admin_api: Api, acme: Any
) -> None:
    cases = [row(acme, ticket_number="WEB-7"), row(acme), row(acme, ticket_number="WEB-7")]
    response = admin_api.post("/api/v1/cases/import", {"cases": cases})
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["details"]["row"] == 3
    assert error["details"]["fields"] == {"cases.2.ticket_number": "is also in row 1"}
    assert error["message"] == "Row 3: ticket_number: is also in row 1"


def test_api_import_refuses_a_deeply_nested_body_with_400(admin_api: Api) -> None:
    response = admin_api.post("/api/v1/cases/import", raw='{"cases": ' + "[" * 100_000)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "bad_request"


def test_api_import_takes_at_most_a_thousand_cases(admin_api: Api, acme: Any) -> None:
    response = admin_api.post("/api/v1/cases/import", {"cases": [row(acme)] * 1001})
    assert response.status_code == 422
    assert "cases" in response.json()["error"]["details"]["fields"]
    assert admin_api.post("/api/v1/cases/import", {"cases": []}).status_code == 422


# --- the command line ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    with fresh_database_env(tmp_path_factory.mktemp("import"), migrated=True) as env:
        run(
            env,
            "user",
            "add",
            "ops",
            "--password-stdin",
            "--role",
            "manager",
            input="a-long-enough-pass-1",
        )
        run(env, "user", "add", "anna", "--password-stdin", input="a-long-enough-pass-1")
        out = run(
            env,
            "shell",
            "-c",
            "from casedesk.customers.services import account_create;"
            "from casedesk.directory.models import User;"
            "print(account_create(actor=User.objects.get(username='ops'), name='Acme').pk)",
        )
        env["ACCOUNT"] = out.stdout.strip().splitlines()[-1]
        yield env


def _jsonl(path: Path, rows: list[dict[str, Any]], blank_after: int | None = None) -> Path:
    lines = [json.dumps(r) for r in rows]
    if blank_after is not None:
        lines.insert(blank_after, "")
    path.write_text("\n".join(lines) + "\n")
    return path


def _cli_row(env: dict[str, str], **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "title": "Da importare",
        "customer": {"type": "account", "id": env["ACCOUNT"]},
    }
    out.update(fields)
    return out


@pytest.mark.slow
def test_cli_imports_a_file_and_check_stays_clean(cli_env: dict[str, str], tmp_path: Path) -> None:
    rows = [
        _cli_row(cli_env, title="Linea assente", ticket_number="CLI-1"),
        _cli_row(
            cli_env,
            status="problem_solved",
            created_at=WHEN,
            resolved_at=LATER,
            resolution="Riavviato il centralino",
        ),
        _cli_row(cli_env, state="cancelled"),
    ]
    path = _jsonl(tmp_path / "cases.jsonl", rows, blank_after=1)
    out = run(cli_env, "import", "cases", str(path), "--as", "ops", "--batch", "2")
    assert out.stdout.startswith("imported 3 cases in "), out.stdout
    assert "cases/s)" in out.stdout
    assert run(cli_env, "check").stdout.startswith("ok:")
    again = run(cli_env, "import", "cases", str(path), "--as", "ops", check=False)
    assert again.returncode == 1
    assert again.stderr.strip() == (
        "casedesk import: line 1: ticket_number: is already taken (nothing imported)"
    )


@pytest.mark.slow
def test_cli_reads_standard_input(cli_env: dict[str, str]) -> None:
    data = "\n".join(json.dumps(_cli_row(cli_env, title=f"Da stdin {i}")) for i in range(3))
    out = subprocess.run(
        [CASEDESK, "import", "cases", "-", "--as", "ops"],
        env=cli_env,
        input=data,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("imported 3 cases in ")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("content", "args", "fragment"),
    [
        ('GOOD\n{"title": "x"}\n', [], "line 2: customer: Field required"),
        ("GOOD\n\nnot json\n", [], "line 3: not valid JSON"),
        ("GOOD\n[1, 2]\n", [], "line 2: a case must be a JSON object"),
        ("GOOD\n" + "[" * 100_000 + "\n", [], "line 2: not valid JSON (nested too deeply)"),
        ('GOOD\nGOOD\n{"title": ""}\n', [], "line 3: title:"),
        ("GOOD\n", ["--batch", "0"], "--batch must be 1 to"),
        ("GOOD\n", ["--as", "nobody"], "nobody"),
        ("GOOD\n", ["--as", "anna"], "Only managers and administrators"),
    ],
)
def test_cli_bad_input_exits_non_zero_with_one_line_naming_the_line(
    cli_env: dict[str, str], tmp_path: Path, content: str, args: list[str], fragment: str
) -> None:
    good = json.dumps(_cli_row(cli_env, title="Mai scritto"))
    path = tmp_path / "bad.jsonl"
    path.write_text(content.replace("GOOD", good))
    who = [] if "--as" in args else ["--as", "ops"]
    out = run(cli_env, "import", "cases", str(path), *who, *args, check=False)
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("casedesk import: ")
    assert fragment in lines[0], lines[0]
    listed = run(
        cli_env,
        "shell",
        "-c",
        "from casedesk.cases.models import Case;"
        "print(Case.objects.filter(title='Mai scritto').count())",
    )
    assert listed.stdout.strip().splitlines()[-1] == "0"


@pytest.mark.slow
def test_cli_skips_invalid_lines_when_asked_and_reports_each(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    rows = [_cli_row(cli_env, title="Tenuto"), _cli_row(cli_env, title=""), _cli_row(cli_env)]
    path = _jsonl(tmp_path / "mixed.jsonl", rows)
    out = run(cli_env, "import", "cases", str(path), "--as", "ops", "--skip-invalid")
    assert out.stdout.startswith("imported 2 cases in ")
    assert out.stdout.strip().endswith("; skipped 1 invalid lines")
    assert out.stderr.strip().splitlines() == [
        "skipped line 2: title: String should have at least 1 character"
    ]


@pytest.mark.slow
def test_cli_skips_lines_it_cannot_read_when_asked_and_reports_each_by_line(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    good = json.dumps(_cli_row(cli_env, title="Letto")).encode()
    content = b"\n".join(
        [good, b"not json", b"", b"[1, 2]", b"[" * 100_000, b'{"title": "\xff"}', good]
    )
    path = tmp_path / "messy.jsonl"
    path.write_bytes(content + b"\n")
    out = run(cli_env, "import", "cases", str(path), "--as", "ops", "--skip-invalid")
    assert out.stdout.startswith("imported 2 cases in "), out.stdout
    assert out.stdout.strip().endswith("; skipped 4 invalid lines")
    skipped = out.stderr.strip().splitlines()
    assert [line.split(":", 1)[0] for line in skipped] == [
        "skipped line 2",
        "skipped line 4",
        "skipped line 5",
        "skipped line 6",
    ], out.stderr
    assert skipped[0].startswith("skipped line 2: not valid JSON (")
    assert skipped[1] == "skipped line 4: a case must be a JSON object"
    assert skipped[2] == "skipped line 5: not valid JSON (nested too deeply)"
    assert skipped[3] == "skipped line 6: not valid UTF-8"
    assert "Traceback" not in out.stderr


@pytest.mark.slow
def test_cli_names_a_repeated_ticket_number_by_the_line_of_its_first_use(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    rows = [_cli_row(cli_env, ticket_number="DUP-1"), _cli_row(cli_env, ticket_number="DUP-1")]
    path = _jsonl(tmp_path / "dup.jsonl", rows, blank_after=1)
    out = run(cli_env, "import", "cases", str(path), "--as", "ops", check=False)
    assert out.returncode == 1
    assert out.stderr.strip() == (
        "casedesk import: line 3: ticket_number: is also on line 1 (nothing imported)"
    )
