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


def test_demo_has_cases_that_came_in_by_email() -> None:
    from casedesk.attachments.models import Attachment
    from casedesk.cases.choices import ActivityType, Direction, Origin
    from casedesk.cases.models import Activity
    from casedesk.mail.models import Mailbox

    call_command("demo", stdout=io.StringIO())
    mailbox = Mailbox.objects.get(address="support@example.com")
    assert mailbox.auto_acknowledge is False
    cases = Case.objects.filter(origin=Origin.EMAIL, mailbox=mailbox)
    assert cases.count() == 3
    vpn = cases.get(title="VPN disconnects every few minutes")
    incoming = Activity.objects.filter(
        case=vpn, type=ActivityType.EMAIL, direction=Direction.INCOMING
    )
    assert incoming.count() == 2  # the reply was appended to its case
    assert Attachment.objects.filter(case=vpn, filename="router-log.txt").count() == 1
    invoice = cases.get(title="Fattura di novembre non ricevuta")
    assert invoice.contact is not None
    assert invoice.contact.email == "chiara.galli@rossi-impianti.example"
    sent = Activity.objects.get(case=invoice, direction=Direction.OUTGOING)
    assert sent.email_status == "queued"
    assert sent.email_to == ["chiara.galli@rossi-impianti.example"]


@pytest.mark.django_db
def test_the_demo_has_service_levels_with_cases_in_every_kpi_state() -> None:
    from django.core.management import call_command

    from casedesk.sla.models import Calendar, KpiInstance, Sla

    call_command("demo", stdout=io.StringIO())
    assert Calendar.objects.filter(holiday_country="IT").exists()
    assert set(Sla.objects.filter(active=True).values_list("name", "is_default")) == {
        ("Standard", True),
        ("Premium", False),
    }
    states = set(KpiInstance.objects.values_list("status", flat=True))
    assert states >= {
        "in_progress",
        "nearing_noncompliance",
        "noncompliant",
        "succeeded",
        "paused",
        "cancelled",
    }
    assert KpiInstance.objects.filter(sla__name="Premium").exists()
