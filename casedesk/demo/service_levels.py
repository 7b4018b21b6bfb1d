"""Demo service levels (docs/service-levels.md): the office's business hours with Italy's
public holidays, a default SLA for every case and a premium one on the bank's entitlement, and
cases in every KPI state once the timers have run.

Through the same services as a manager's requests; the timers run once at the end of the demo,
as the worker would (`casedesk sla tick`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from casedesk.cases.services.common import Ref
from casedesk.cases.services.records import case_create
from casedesk.core import clock
from casedesk.core.choices import Channel
from casedesk.customers.models import Account
from casedesk.directory.models import User
from casedesk.sla.models import Sla
from casedesk.sla.services import calendars, slas

CLI = Channel.CLI
OFFICE = {
    **{
        day: [["09:00", "13:00"], ["14:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")
    },
    "sat": [],
    "sun": [],
}
PREMIUM = "Premium"


def load(users: dict[str, User]) -> dict[str, int]:
    """The calendar and the two SLAs, before any case (each case takes its SLA when created)."""
    manager = users["manager"]
    office = calendars.calendar_create(
        actor=manager,
        name="Ufficio di Milano",
        time_zone="Europe/Rome",
        week=OFFICE,
        holidays=[f"{clock.today().year}-12-07"],  # Sant'Ambrogio, Milan's own
        holiday_country="IT",
        channel=CLI,
    )
    notify_owner = [{"type": "notify", "to": "owner"}]
    standard = slas.sla_create(
        actor=manager,
        name="Standard",
        is_default=True,
        items=[
            {
                "name": "Prima risposta, alta priorità",
                "kpi": "first_response",
                "conditions": [{"field": "priority", "op": "eq", "value": "high"}],
                "calendar_id": office.pk,
                "warn_after_minutes": 60,
                "fail_after_minutes": 120,
                "on_warning": notify_owner,
                "on_failure": [{"type": "notify", "to": "manager"}],
            },
            {
                "name": "Prima risposta",
                "kpi": "first_response",
                "calendar_id": office.pk,
                "warn_after_minutes": 240,
                "fail_after_minutes": 480,
                "on_warning": notify_owner,
                "on_failure": [{"type": "notify", "to": "manager"}],
            },
            {
                "name": "Risoluzione",
                "kpi": "resolve",
                "calendar_id": office.pk,
                "warn_after_minutes": 1920,
                "fail_after_minutes": 2400,
                "on_warning": notify_owner,
                "on_failure": [{"type": "notify", "to": "manager"}],
            },
        ],
        channel=CLI,
    )
    premium = slas.sla_create(
        actor=manager,
        name=PREMIUM,
        items=[
            {
                "name": "Prima risposta premium",
                "kpi": "first_response",
                "calendar_id": None,
                "warn_after_minutes": 60,
                "fail_after_minutes": 120,
                "on_warning": notify_owner,
                "on_failure": [
                    {"type": "notify", "to": "manager"},
                    {"type": "set_priority", "value": "high"},
                ],
            },
            {
                "name": "Risoluzione premium",
                "kpi": "resolve",
                "calendar_id": None,
                "warn_after_minutes": 480,
                "fail_after_minutes": 960,
                "on_warning": notify_owner,
                "on_failure": [{"type": "notify", "to": "manager"}],
            },
        ],
        channel=CLI,
    )
    for sla in (standard, premium):
        slas.sla_activate(actor=manager, sla_id=sla.pk, channel=CLI)
    return {"calendars": 1, "slas": 2}


def premium_sla_id() -> Any:
    return Sla.objects.filter(name=PREMIUM).values_list("id", flat=True).first()


def load_cases(users: dict[str, User]) -> dict[str, int]:
    """The bank's premium cases opened 30 minutes, 90 minutes and 3 hours ago (24x7): after
    the timers run, one in progress, one nearing its first-response failure, one past it."""
    agent = users["agent"]
    bank = Account.objects.filter(name="Banca Popolare del Lago").order_by("created_at").first()
    if bank is None:
        return {}
    made = 0
    for minutes, title in (
        (30, "Accesso all'home banking lento"),
        (90, "Carte bloccate dopo l'aggiornamento"),
        (180, "Estratti conto non generati"),
    ):
        with clock.behind(dt.timedelta(minutes=minutes)):
            case_create(
                actor=agent,
                title=title,
                customer=Ref("account", bank.pk),
                origin="phone",
                channel=CLI,
                given=frozenset({"title", "customer", "origin"}),
            )
        made += 1
    return {"premium cases": made}


def fire_timers() -> dict[str, int]:
    """What the worker would have fired by now: warnings and failures, once each."""
    from casedesk.sla.services.timers import sla_tick

    fired = sla_tick(limit=None)
    return {"SLA warnings": fired.warnings, "SLA failures": fired.failures}
