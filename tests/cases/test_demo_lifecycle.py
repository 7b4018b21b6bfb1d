"""The lifecycle part of `casedesk demo`: cases in every state, passing `casedesk check`."""

from __future__ import annotations

from typing import Any

import pytest

from casedesk.cases.models import Activity, Case, Note
from casedesk.core.invariants import run_all
from casedesk.demo import lifecycle

pytestmark = pytest.mark.django_db


def test_demo_shows_cases_in_every_state(make_user: Any) -> None:
    users = {
        name: make_user(role, username=name)
        for name, role in (
            ("manager", "manager"),
            ("agent", "agent"),
            ("luca", "agent"),
            ("sara", "agent"),
            ("paolo", "agent"),
        )
    }
    counts = lifecycle.load(users)
    assert counts["lifecycle cases"] == Case.objects.count()
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {"in_progress", "problem_solved", "information_provided", "cancelled", "merged"} <= (
        statuses
    )
    assert Case.objects.filter(parent__isnull=False).count() == 2
    assert Activity.objects.filter(type="case_resolution", superseded=True).exists()
    assert Activity.objects.filter(state="open").exists()
    assert Activity.objects.filter(billed=True).exists()
    assert Note.objects.exists()
    assert [v for v in run_all() if v[0].startswith("case_")] == []
