"""Who may call which service, checked at the service itself, not over HTTP
(docs/security.md, "Who may do what, checked where"): every role check of the services goes
through `casedesk.directory.access`; an agent (or, for users and teams, a manager) is refused
with 403 `forbidden` and the message the service always gave; a manager or an administrator
is let through, and so is `SYSTEM`; no actor at all is a programming error."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from casedesk.cases.services import config
from casedesk.cases.services.common import Ref
from casedesk.catalog import services as catalog
from casedesk.core.errors import Forbidden
from casedesk.core.models import AuditEntry
from casedesk.customers import services as customers
from casedesk.directory import services as directory
from casedesk.directory.access import SYSTEM
from casedesk.entitlements.services import contracts, entitlements
from casedesk.routing.services import queues, rule_sets

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-enough-pass-1"
CONTRACTS = "Only managers maintain contracts."
ENTITLEMENTS = "Only managers maintain entitlements."
DIRECTORY = "Only administrators manage users and teams."
TRANSITIONS = {
    "in_progress": ["on_hold", "problem_solved"],
    "on_hold": ["in_progress", "cancelled"],
    "waiting_for_details": ["cancelled"],
    "researching": ["cancelled"],
    "problem_solved": [],
}


@dataclass(frozen=True)
class Guarded:
    """A service call that needs `role`, refused to the role below with `message`."""

    name: str
    role: str
    message: str
    call: Callable[[Any, dict[str, Any]], object]


def _day(days: int) -> dt.date:
    return dt.date.today() + dt.timedelta(days=days)


GUARDED = [
    Guarded(
        "subject_create",
        "manager",
        "Only managers maintain subjects and products.",
        lambda a, w: catalog.subject_create(actor=a, name="Rete"),
    ),
    Guarded(
        "product_create",
        "manager",
        "Only managers maintain subjects and products.",
        lambda a, w: catalog.product_create(actor=a, name="Router", code="R-1"),
    ),
    Guarded(
        "service_settings_update",
        "manager",
        "Only managers configure the service.",
        lambda a, w: config.service_settings_update(actor=a, changes={"max_child_cases": 7}),
    ),
    Guarded(
        "status_transitions_set",
        "manager",
        "Only managers configure the service.",
        lambda a, w: config.status_transitions_set(actor=a, enforced=True, allowed=TRANSITIONS),
    ),
    Guarded(
        "contract_create",
        "manager",
        CONTRACTS,
        lambda a, w: contracts.contract_create(
            actor=a,
            name="Assistenza",
            customer=Ref("account", w["account"].pk),
            start_date=_day(-1),
            end_date=_day(300),
        ),
    ),
    Guarded(
        "contract_update",
        "manager",
        CONTRACTS,
        lambda a, w: contracts.contract_update(
            actor=a, contract_id=w["contract"].pk, changes={"name": "Assistenza 2"}
        ),
    ),
    Guarded(
        "contract_line_create",
        "manager",
        CONTRACTS,
        lambda a, w: contracts.contract_line_create(
            actor=a,
            contract_id=w["contract"].pk,
            name="Interventi",
            allotment_type="cases",
            total=3,
        ),
    ),
    Guarded(
        "contract_line_update",
        "manager",
        CONTRACTS,
        lambda a, w: contracts.contract_line_update(
            actor=a,
            contract_id=w["contract"].pk,
            line_id=w["line"].pk,
            changes={"name": "Interventi in sede"},
        ),
    ),
    Guarded(
        "contract_line_delete",
        "manager",
        CONTRACTS,
        lambda a, w: contracts.contract_line_delete(
            actor=a, contract_id=w["contract"].pk, line_id=w["line"].pk
        ),
    ),
    Guarded(
        "entitlement_create",
        "manager",
        ENTITLEMENTS,
        lambda a, w: entitlements.entitlement_create(
            actor=a,
            name="Supporto",
            customer=Ref("account", w["account"].pk),
            start_date=_day(-1),
            end_date=_day(300),
            allocation_type="cases",
            total_terms=5,
        ),
    ),
    Guarded(
        "entitlement_update",
        "manager",
        ENTITLEMENTS,
        lambda a, w: entitlements.entitlement_update(
            actor=a, entitlement_id=w["entitlement"].pk, changes={"name": "Supporto 2"}
        ),
    ),
    Guarded(
        "entitlement_activate",
        "manager",
        ENTITLEMENTS,
        lambda a, w: entitlements.entitlement_activate(actor=a, entitlement_id=w["entitlement"].pk),
    ),
    Guarded(
        "queue_create",
        "manager",
        "Only managers create queues.",
        lambda a, w: queues.queue_create(actor=a, name="Fatturazione"),
    ),
    Guarded(
        "queue_update",
        "manager",
        "Only managers edit queues.",
        lambda a, w: queues.queue_update(
            actor=a, queue_id=w["queue"].pk, changes={"name": "Tier 2"}
        ),
    ),
    Guarded(
        "rule_set_create",
        "manager",
        "Only managers create routing rule sets.",
        lambda a, w: rule_sets.rule_set_create(actor=a, name="Estate"),
    ),
    Guarded(
        "rule_set_update",
        "manager",
        "Only managers edit routing rule sets.",
        lambda a, w: rule_sets.rule_set_update(
            actor=a, rule_set_id=w["rule_set"].pk, changes={"name": "Inverno"}
        ),
    ),
    Guarded(
        "rule_set_activate",
        "manager",
        "Only managers activate routing rule sets.",
        lambda a, w: rule_sets.rule_set_activate(actor=a, rule_set_id=w["rule_set"].pk),
    ),
    Guarded(
        "rule_set_deactivate",
        "manager",
        "Only managers deactivate routing rule sets.",
        lambda a, w: rule_sets.rule_set_deactivate(actor=a, rule_set_id=w["active_rule_set"].pk),
    ),
    Guarded(
        "user_create",
        "admin",
        DIRECTORY,
        lambda a, w: directory.user_create(actor=a, username="nuovo", password=PASSWORD),
    ),
    Guarded(
        "user_update",
        "admin",
        DIRECTORY,
        lambda a, w: directory.user_update(
            actor=a, user_id=w["target"].pk, changes={"full_name": "Nora Nuova"}
        ),
    ),
    Guarded(
        "user_set_password",
        "admin",
        DIRECTORY,
        lambda a, w: directory.user_set_password(
            actor=a, user_id=w["target"].pk, password="another-long-pass-2"
        ),
    ),
    Guarded(
        "login_unlock",
        "admin",
        DIRECTORY,
        lambda a, w: directory.login_unlock(actor=a, user_id=w["target"].pk),
    ),
    Guarded(
        "team_create",
        "admin",
        DIRECTORY,
        lambda a, w: directory.team_create(actor=a, name="Tier 3"),
    ),
    Guarded(
        "team_update",
        "admin",
        DIRECTORY,
        lambda a, w: directory.team_update(
            actor=a, team_id=w["team"].pk, changes={"name": "Tier 1 bis"}
        ),
    ),
]
BELOW = {"manager": "agent", "admin": "manager"}
IDS = [g.name for g in GUARDED]


@pytest.fixture
def world(make_user: Callable[..., Any]) -> dict[str, Any]:
    """The records the update services change, made by the system; and one user per role."""
    account = customers.account_create(actor=make_user("agent"), name="Acme")
    contract = contracts.contract_create(
        actor=SYSTEM,
        name="Assistenza",
        customer=Ref("account", account.pk),
        start_date=_day(-1),
        end_date=_day(300),
    )
    return {
        "agent": make_user("agent"),
        "manager": make_user("manager"),
        "admin": make_user("admin"),
        "target": make_user("agent"),
        "account": account,
        "contract": contract,
        "line": contracts.contract_line_create(
            actor=SYSTEM, contract_id=contract.pk, name="Sede", allotment_type="cases", total=2
        ),
        "entitlement": entitlements.entitlement_create(
            actor=SYSTEM,
            name="Supporto",
            customer=Ref("account", account.pk),
            start_date=_day(-1),
            end_date=_day(300),
            allocation_type="cases",
            total_terms=5,
        ),
        "queue": queues.queue_create(actor=SYSTEM, name="Tier 1"),
        "rule_set": rule_sets.rule_set_create(actor=SYSTEM, name="Base"),
        "active_rule_set": rule_sets.rule_set_activate(
            actor=SYSTEM, rule_set_id=rule_sets.rule_set_create(actor=SYSTEM, name="Attivo").pk
        ),
        "team": directory.team_create(actor=SYSTEM, name="Tier 1"),
    }


@pytest.mark.parametrize("guarded", GUARDED, ids=IDS)
def test_service_refuses_the_role_below_with_forbidden_and_writes_nothing(
    guarded: Guarded, world: dict[str, Any]
) -> None:
    audited = AuditEntry.objects.count()
    with pytest.raises(Forbidden) as refused:
        guarded.call(world[BELOW[guarded.role]], world)
    assert (refused.value.status, refused.value.code) == (403, "forbidden")
    assert refused.value.message == guarded.message
    assert AuditEntry.objects.count() == audited


@pytest.mark.parametrize("guarded", GUARDED, ids=IDS)
def test_service_lets_the_role_it_needs_through(guarded: Guarded, world: dict[str, Any]) -> None:
    guarded.call(world[guarded.role], world)


@pytest.mark.parametrize("guarded", GUARDED, ids=IDS)
def test_service_lets_system_through_and_audits_no_user(
    guarded: Guarded, world: dict[str, Any]
) -> None:
    before = set(AuditEntry.objects.values_list("pk", flat=True))
    guarded.call(SYSTEM, world)
    written = AuditEntry.objects.exclude(pk__in=before)
    assert written.exists()
    assert set(written.values_list("actor_id", flat=True)) == {None}


@pytest.mark.parametrize("guarded", GUARDED, ids=IDS)
def test_service_raises_type_error_when_actor_is_none(
    guarded: Guarded, world: dict[str, Any]
) -> None:
    audited = AuditEntry.objects.count()
    with pytest.raises(TypeError, match="actor"):
        guarded.call(None, world)
    assert AuditEntry.objects.count() == audited


def test_user_create_by_system_is_audited_with_no_user_and_the_channel_given() -> None:
    user = directory.user_create(actor=SYSTEM, username="da-riga", password=PASSWORD, channel="cli")
    entry = AuditEntry.objects.get(entity_id=user.pk, action="create")
    assert (entry.actor_id, entry.channel) == (None, "cli")


def test_case_services_let_system_change_a_case_no_agent_may_change(
    make_user: Callable[..., Any],
) -> None:
    from casedesk.cases.services import lifecycle, records

    owner = make_user("agent")
    stranger = make_user("agent")
    account = customers.account_create(actor=owner, name="Acme")
    case = records.case_create(actor=owner, title="Stampante", customer=Ref("account", account.pk))
    with pytest.raises(Forbidden):
        lifecycle.case_cancel(actor=stranger, case_id=case.pk)
    with pytest.raises(TypeError, match="actor"):
        lifecycle.case_cancel(actor=None, case_id=case.pk)  # type: ignore[arg-type]

    cancelled = lifecycle.case_cancel(actor=SYSTEM, case_id=case.pk, channel="system")

    assert cancelled.state == "cancelled"
    entry = AuditEntry.objects.get(entity_id=case.pk, action="cancel")
    assert (entry.actor_id, entry.channel) == (None, "system")


@pytest.mark.parametrize(
    ("channel", "refused", "allowed", "message"),
    [
        ("cli", "agent", "manager", "Only managers and administrators import cases."),
        ("api", "manager", "admin", "Only administrators import cases through the API."),
    ],
)
def test_import_needs_the_role_of_its_channel(
    make_user: Callable[..., Any], channel: str, refused: str, allowed: str, message: str
) -> None:
    from casedesk.cases.services import imports

    with pytest.raises(Forbidden) as refusal:
        imports.cases_import(actor=make_user(refused), rows=[], channel=channel)
    assert (refusal.value.code, refusal.value.message) == ("forbidden", message)
    assert imports.cases_import(actor=make_user(allowed), rows=[], channel=channel).cases == []


def test_tokens_of_another_user_need_an_administrator(make_user: Callable[..., Any]) -> None:
    from casedesk.directory import selectors

    owner, manager, admin = make_user("agent"), make_user("manager"), make_user("admin")
    with pytest.raises(Forbidden, match=r"^Only administrators see other users' tokens\.$"):
        selectors.token_list(actor=manager, user_id=owner.pk)
    with pytest.raises(Forbidden, match=r"^Only administrators create tokens for other users\.$"):
        directory.token_create_for(actor=manager, user_id=owner.pk)
    directory.token_create_for(actor=admin, user_id=owner.pk)
    assert selectors.token_list(actor=admin, user_id=owner.pk).count() == 1
