from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from casedesk.cases.models import Case
from casedesk.core.invariants import run_all
from casedesk.directory.models import User

pytestmark = pytest.mark.django_db


def test_demo_loads_a_living_system_that_passes_every_invariant() -> None:
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert "demo data loaded" in out.getvalue()
    assert User.objects.filter(username__in=["admin", "manager", "agent"]).count() == 3
    assert Case.objects.count() >= 30
    assert Case.objects.values("customer_account").distinct().count() > 3
    assert list(run_all()) == []


def test_demo_if_empty_leaves_a_used_database_alone() -> None:
    call_command("demo", stdout=io.StringIO())
    cases = Case.objects.count()
    out = io.StringIO()
    call_command("demo", "--if-empty", stdout=out)
    assert "not empty" in out.getvalue()
    assert Case.objects.count() == cases
