"""The import writes the KPI instances of the cases it creates, a few statements a batch."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casedesk.cases.models import Case
from casedesk.cases.services import imports
from casedesk.customers.services import account_create
from casedesk.sla.models import KpiInstance
from tests.support.sla import make_sla

pytestmark = pytest.mark.django_db


def _rows(account: Any, count: int, **fields: Any) -> list[dict[str, Any]]:
    base = {"title": "Router fermo", "customer": {"type": "account", "id": str(account.pk)}}
    return [dict(base, **fields) for _ in range(count)]


def test_imported_cases_get_their_instances_in_a_constant_number_of_queries(
    admin: Any,
) -> None:
    make_sla(
        {
            "kpi": "resolve",
            "warn": 30,
            "fail": 60,
            "conditions": [{"field": "priority", "op": "eq", "value": "high"}],
        },
        {"kpi": "resolve", "warn": 60, "fail": 120},
        {"kpi": "first_response", "warn": 10, "fail": 20},
    )
    acme = account_create(actor=admin, name="Acme Srl")
    with CaptureQueriesContext(connection) as few:
        imports.cases_import(actor=admin, rows=_rows(acme, 3), channel="cli")
    with CaptureQueriesContext(connection) as many:
        imports.cases_import(actor=admin, rows=_rows(acme, 40, priority="high"), channel="cli")
    assert len(many) <= len(few)
    assert KpiInstance.objects.filter(in_force=True).count() == 2 * 43
    urgent = KpiInstance.objects.filter(kpi="resolve", case__priority="high")
    assert {i.item_name for i in urgent} == {"resolve 1"}
    case = Case.objects.filter(priority="high").first()
    assert case is not None and case.sla_status == "in_progress"
    assert case.resolve_by is not None


def test_an_imported_resolved_case_gets_met_instances_that_fire_nothing(admin: Any) -> None:
    make_sla()
    acme = account_create(actor=admin, name="Acme Srl")
    imports.cases_import(
        actor=admin,
        rows=_rows(
            acme,
            1,
            status="problem_solved",
            created_at="2021-03-04T09:30:00+00:00",
            resolved_at="2021-03-04T10:00:00+00:00",
            resolution="Fixed",
        ),
        channel="cli",
    )
    rows = KpiInstance.objects.filter(in_force=True)
    assert {(r.kpi, r.status) for r in rows} == {
        ("first_response", "succeeded"),
        ("resolve", "succeeded"),
    }
    assert all(r.due_at is None for r in rows)
    assert Case.objects.get().sla_status == "succeeded"


def test_an_imported_cancelled_case_gets_no_instances(admin: Any) -> None:
    make_sla()
    acme = account_create(actor=admin, name="Acme Srl")
    imports.cases_import(actor=admin, rows=_rows(acme, 1, status="cancelled"), channel="cli")
    assert not KpiInstance.objects.exists()
    assert Case.objects.get().sla_status is None
