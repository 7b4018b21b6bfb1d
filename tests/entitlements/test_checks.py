"""`casedesk check` verifies the stored counters against the ledger (docs/entitlements.md)."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from casedesk.core.invariants import run_all
from casedesk.entitlements.models import (
    ContractLine,
    Entitlement,
    EntitlementChannel,
    TermLedger,
)
from tests.conftest import Api
from tests.entitlements.conftest import Json, customer_of, days

pytestmark = pytest.mark.django_db
Make = Callable[..., Json]


def _violations(name: str) -> list[str]:
    return [violation for check, violation in run_all() if check == name]


@pytest.fixture
def busy(
    agent_api: Api, manager_api: Api, account: Json, make_entitlement: Make, new_case: Make
) -> str:
    """An entitlement used by cases in several states and channels, and a contract line."""
    eid = make_entitlement(decrease_on="creation", channels=[{"channel": "phone", "terms": 4}])[
        "id"
    ]
    contract = manager_api.post(
        "/api/v1/contracts",
        {
            "name": "C",
            "customer": customer_of(account),
            "start_date": days(-1),
            "end_date": days(9),
        },
    ).json()
    line = manager_api.post(
        f"/api/v1/contracts/{contract['id']}/lines",
        {"name": "L", "allotment_type": "cases", "total": 3},
    ).json()
    cases = [new_case(entitlement_id=eid, contract_line_id=line["id"]) for _ in range(3)]
    new_case(entitlement_id=eid, origin="email")
    agent_api.post(f"/api/v1/cases/{cases[0]['id']}/cancel")
    agent_api.post(f"/api/v1/cases/{cases[1]['id']}/resolve", {"resolution": "Done."})
    agent_api.patch(f"/api/v1/cases/{cases[2]['id']}", {"origin": "web"})
    return eid


def test_check_passes_when_the_counters_match_the_ledger(busy: str) -> None:
    assert list(run_all()) == []
    out = StringIO()
    call_command("check", stdout=out)
    assert out.getvalue().startswith("ok:")


def test_check_reports_an_entitlement_counter_that_drifted(busy: str) -> None:
    Entitlement.objects.filter(id=busy).update(remaining_terms=100)
    [violation] = _violations("entitlement_ledger")
    assert busy in violation and "remaining_terms is 100" in violation
    with pytest.raises(CommandError):
        call_command("check", stdout=StringIO(), stderr=StringIO())


def test_check_reports_a_channel_counter_that_drifted(busy: str) -> None:
    EntitlementChannel.objects.filter(entitlement_id=busy).update(remaining_terms=4)
    [violation] = _violations("entitlement_ledger")
    assert "channel phone" in violation


def test_check_reports_a_contract_line_counter_that_drifted(busy: str) -> None:
    ContractLine.objects.update(used=0)
    [violation] = _violations("contract_line_ledger")
    assert "used is 0, the ledger says 1" in violation


def test_check_reports_a_case_whose_ledger_misses_its_target(busy: str) -> None:
    row = TermLedger.objects.filter(entitlement_id=busy).order_by("id").first()
    assert row is not None
    TermLedger.objects.filter(id=row.id).delete()
    found = _violations("case_terms")
    assert any(str(row.case_id) in v for v in found), found
