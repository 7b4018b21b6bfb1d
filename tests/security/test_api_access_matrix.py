"""The access matrix of the API: every operation × anonymous, agent (own and another's record),
manager and admin.

The operations come from the OpenAPI document, so a new endpoint without a rule here fails the
suite. "ok" means the caller got past authentication and authorisation (any answer but 401/403,
and never a server error).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from casedesk.api.app import api
from casedesk.directory.access import SYSTEM
from tests.conftest import PASSWORD, Api

OK, DENIED, UNAUTH, HIDDEN = "ok", 403, 401, 404

# Who may do what (docs/security.md).
PUBLIC = {"anon": OK, "agent_own": OK, "agent_other": OK, "manager": OK, "admin": OK}
READ = {"anon": UNAUTH, "agent_own": OK, "agent_other": OK, "manager": OK, "admin": OK}
CASE_WRITE = {"anon": UNAUTH, "agent_own": OK, "agent_other": DENIED, "manager": OK, "admin": OK}
MANAGER = {"anon": UNAUTH, "agent_own": DENIED, "agent_other": DENIED, "manager": OK, "admin": OK}
ADMIN = {"anon": UNAUTH, "agent_own": DENIED, "agent_other": DENIED, "manager": DENIED, "admin": OK}
# Tokens: your own; another's is hidden (404) unless you are an administrator.
TOKEN = {"anon": UNAUTH, "agent_own": OK, "agent_other": HIDDEN, "manager": HIDDEN, "admin": OK}
# Listing or creating tokens: your own; another user's (`user_id`) only as an administrator.
OWN_OR_ADMIN = {
    "anon": UNAUTH,
    "agent_own": OK,
    "agent_other": DENIED,
    "manager": DENIED,
    "admin": OK,
}

# Notifications: the caller's own; another user's is hidden (404), whoever asks.
OWN_ONLY = {
    "anon": UNAUTH,
    "agent_own": OK,
    "agent_other": HIDDEN,
    "manager": HIDDEN,
    "admin": HIDDEN,
}


# A public address, so that no setting is needed to subscribe it (nothing is delivered here).
WEBHOOK_URL = "https://93.184.216.34/casedesk-hook"


@dataclass(frozen=True)
class Rule:
    access: dict[str, Any]
    body: Callable[[dict[str, Any], str], Any] | None = None
    # Query parameters of the call, by caller (GET and DELETE).
    query: Callable[[dict[str, Any], str], dict[str, str]] | None = None


def _token_owner(w: dict[str, Any], variant: str) -> dict[str, str]:
    """The caller's own tokens for `agent_own`, another user's for every other caller."""
    return {} if variant == "agent_own" else {"user_id": str(w["users"]["agent_b"].id)}


def _child(w: dict[str, Any], v: str) -> dict[str, Any]:
    parent = w["case_other" if v == "agent_other" else "case_own"]
    return {"title": "Matrix child", "parent_id": parent}


CALENDAR_BODY = {"name": "C", "time_zone": "Europe/Rome", "week": {"mon": [["09:00", "18:00"]]}}
SLA_ITEM = {
    "name": "Respond",
    "kpi": "first_response",
    "warn_after_minutes": 30,
    "fail_after_minutes": 60,
}
SLA_BODY = {"name": "S", "items": [SLA_ITEM]}

RULES: dict[tuple[str, str], Rule] = {
    ("POST", "/auth/token"): Rule(
        PUBLIC, lambda w, v: {"username": "agent_a", "password": PASSWORD}
    ),
    ("DELETE", "/auth/tokens/{token_id}"): Rule(TOKEN),
    ("GET", "/auth/tokens"): Rule(OWN_OR_ADMIN, query=_token_owner),
    ("POST", "/auth/tokens"): Rule(
        OWN_OR_ADMIN, lambda w, v: {"name": "Matrix", "expires_in_days": 7, **_token_owner(w, v)}
    ),
    ("GET", "/users"): Rule(READ),
    ("POST", "/users"): Rule(
        ADMIN,
        lambda w, v: {"username": f"u{uuid.uuid4().hex[:8]}", "password": "matrix-password-123"},
    ),
    ("GET", "/users/{user_id}"): Rule(READ),
    # Only administrators change users, their own record included.
    ("PATCH", "/users/{user_id}"): Rule(ADMIN, lambda w, v: {"full_name": "Matrix Name"}),
    ("POST", "/users/{user_id}/password"): Rule(
        ADMIN, lambda w, v: {"password": "matrix-password-456"}
    ),
    ("POST", "/users/{user_id}/unlock"): Rule(ADMIN),
    ("GET", "/teams"): Rule(READ),
    ("POST", "/teams"): Rule(ADMIN, lambda w, v: {"name": f"T{uuid.uuid4().hex[:8]}"}),
    ("GET", "/teams/{team_id}"): Rule(READ),
    ("PATCH", "/teams/{team_id}"): Rule(ADMIN, lambda w, v: {"name": f"T{uuid.uuid4().hex[:8]}"}),
    ("GET", "/accounts"): Rule(READ),
    ("POST", "/accounts"): Rule(READ, lambda w, v: {"name": "New account"}),
    ("GET", "/accounts/{account_id}"): Rule(READ),
    ("PATCH", "/accounts/{account_id}"): Rule(READ, lambda w, v: {"phone": "123"}),
    ("GET", "/contacts"): Rule(READ),
    ("POST", "/contacts"): Rule(READ, lambda w, v: {"last_name": "Nuovo"}),
    ("GET", "/contacts/{contact_id}"): Rule(READ),
    ("PATCH", "/contacts/{contact_id}"): Rule(READ, lambda w, v: {"phone": "123"}),
    ("GET", "/customers"): Rule(READ),
    ("GET", "/customers/{customer_type}/{customer_id}"): Rule(READ),
    ("GET", "/subjects"): Rule(READ),
    ("POST", "/subjects"): Rule(MANAGER, lambda w, v: {"name": "S"}),
    ("GET", "/products"): Rule(READ),
    ("POST", "/products"): Rule(MANAGER, lambda w, v: {"name": "P"}),
    ("GET", "/cases"): Rule(READ),
    # Everyone opens cases; a child case (here: the agent's own case or another's as its
    # parent) needs the right to change its parent.
    ("POST", "/cases"): Rule(CASE_WRITE, _child),
    ("GET", "/cases/{case_id}"): Rule(READ),
    ("PATCH", "/cases/{case_id}"): Rule(CASE_WRITE, lambda w, v: {"priority": "high"}),
    ("GET", "/cases/{case_id}/children"): Rule(READ),
    ("GET", "/cases/{case_id}/audit"): Rule(READ),
    ("GET", "/cases/{case_id}/activities"): Rule(READ),
    ("POST", "/cases/{case_id}/activities"): Rule(
        CASE_WRITE, lambda w, v: {"type": "phone_call", "subject": "Call back"}
    ),
    ("GET", "/activities/{activity_id}"): Rule(READ),
    ("PATCH", "/activities/{activity_id}"): Rule(CASE_WRITE, lambda w, v: {"subject": "New"}),
    ("POST", "/activities/{activity_id}/complete"): Rule(
        CASE_WRITE, lambda w, v: {"duration_minutes": 5}
    ),
    ("POST", "/activities/{activity_id}/cancel"): Rule(CASE_WRITE, lambda w, v: {}),
    ("GET", "/cases/{case_id}/notes"): Rule(READ),
    # Files: every user reads a case and its files; an upload without a case is anyone's.
    ("POST", "/attachments"): Rule(READ),
    ("GET", "/attachments/{attachment_id}"): Rule(READ),
    ("GET", "/attachments/{attachment_id}/content"): Rule(READ),
    ("GET", "/cases/{case_id}/attachments"): Rule(READ),
    # Answering by e-mail changes the case; every user reads its e-mails.
    ("GET", "/cases/{case_id}/emails"): Rule(READ),
    ("POST", "/cases/{case_id}/emails"): Rule(
        CASE_WRITE, lambda w, v: {"text": "Matrix answer", "to": ["customer@example.com"]}
    ),
    # Mailboxes are administration.
    ("GET", "/mailboxes"): Rule(ADMIN),
    ("POST", "/mailboxes"): Rule(
        ADMIN, lambda w, v: {"name": "M", "address": f"m{uuid.uuid4().hex[:8]}@desk.example"}
    ),
    ("GET", "/mailboxes/{mailbox_id}"): Rule(ADMIN),
    ("PATCH", "/mailboxes/{mailbox_id}"): Rule(ADMIN, lambda w, v: {"name": "Renamed"}),
    ("POST", "/mailboxes/{mailbox_id}/poll"): Rule(ADMIN),
    ("GET", "/mailboxes/{mailbox_id}/messages"): Rule(ADMIN),
    # The outbox and webhooks are administration.
    ("GET", "/events"): Rule(ADMIN),
    ("GET", "/webhooks"): Rule(ADMIN),
    ("POST", "/webhooks"): Rule(
        ADMIN, lambda w, v: {"url": WEBHOOK_URL, "events": ["*"], "secret": "s" * 20}
    ),
    ("GET", "/webhooks/{webhook_id}"): Rule(ADMIN),
    ("PATCH", "/webhooks/{webhook_id}"): Rule(ADMIN, lambda w, v: {"active": False}),
    ("DELETE", "/webhooks/{webhook_id}"): Rule(ADMIN),
    ("GET", "/webhooks/{webhook_id}/deliveries"): Rule(ADMIN),
    ("POST", "/cases/{case_id}/notes"): Rule(CASE_WRITE, lambda w, v: {"text": "note"}),
    ("GET", "/cases/{case_id}/posts"): Rule(READ),
    ("POST", "/cases/{case_id}/posts"): Rule(CASE_WRITE, lambda w, v: {"text": "post"}),
    ("GET", "/cases/{case_id}/timeline"): Rule(READ),
    ("POST", "/cases/{case_id}/resolve"): Rule(
        CASE_WRITE,
        lambda w, v: {
            "resolution_type": "problem_solved",
            "resolution": "Fixed",
            "billable_minutes": 0,
            "cancel_open_activities": True,
        },
    ),
    ("POST", "/cases/{case_id}/cancel"): Rule(
        CASE_WRITE, lambda w, v: {"cancel_open_activities": True}
    ),
    ("POST", "/cases/{case_id}/merge"): Rule(CASE_WRITE, lambda w, v: {"into": w["master"]}),
    ("POST", "/cases/{case_id}/reactivate"): Rule(CASE_WRITE, lambda w, v: {}),
    ("POST", "/cases/{case_id}/first-response"): Rule(CASE_WRITE, lambda w, v: {}),
    ("GET", "/cases/{case_id}/sla"): Rule(READ),
    ("POST", "/cases/{case_id}/assign"): Rule(
        CASE_WRITE, lambda w, v: {"owner": {"type": "user", "id": w["agent_a_id"]}}
    ),
    ("POST", "/cases/{case_id}/queue"): Rule(CASE_WRITE, lambda w, v: {"queue_id": w["queue"]}),
    ("POST", "/cases/{case_id}/route"): Rule(CASE_WRITE, lambda w, v: {}),
    ("POST", "/cases/route"): Rule(READ, lambda w, v: {"case_ids": [w["case_own"]]}),
    ("POST", "/cases/import"): Rule(
        ADMIN,
        lambda w, v: {
            "cases": [{"title": "Imported", "customer": {"type": "account", "id": w["account"]}}]
        },
    ),
    ("GET", "/cases/{case_id}/merge-candidates"): Rule(READ),
    ("GET", "/cases/{case_id}/similar"): Rule(READ),
    ("GET", "/cases/{case_id}/similar-cases"): Rule(READ),
    ("POST", "/cases/{case_id}/similar-cases"): Rule(
        CASE_WRITE, lambda w, v: {"case_id": w["resolved_other"]}
    ),
    ("GET", "/config/service"): Rule(READ),
    ("PATCH", "/config/service"): Rule(MANAGER, lambda w, v: {"max_child_cases": 50}),
    ("GET", "/config/status-transitions"): Rule(READ),
    ("PUT", "/config/status-transitions"): Rule(
        MANAGER, lambda w, v: {"enforced": False, "allowed": {}}
    ),
    ("GET", "/entitlements"): Rule(READ),
    ("POST", "/entitlements"): Rule(
        MANAGER,
        lambda w, v: {
            "name": "E",
            "customer": {"type": "account", "id": w["account"]},
            "start_date": "2026-01-01",
            "end_date": "2027-12-31",
            "allocation_type": "cases",
            "total_terms": 5,
        },
    ),
    ("GET", "/entitlements/{entitlement_id}"): Rule(READ),
    ("PATCH", "/entitlements/{entitlement_id}"): Rule(MANAGER, lambda w, v: {"name": "E2"}),
    ("POST", "/entitlements/{entitlement_id}/activate"): Rule(MANAGER, lambda w, v: {}),
    ("POST", "/entitlements/{entitlement_id}/deactivate"): Rule(MANAGER, lambda w, v: {}),
    ("POST", "/entitlements/{entitlement_id}/cancel"): Rule(MANAGER, lambda w, v: {}),
    ("GET", "/entitlements/{entitlement_id}/ledger"): Rule(READ),
    ("GET", "/contracts"): Rule(READ),
    ("POST", "/contracts"): Rule(
        MANAGER,
        lambda w, v: {
            "name": "C",
            "customer": {"type": "account", "id": w["account"]},
            "start_date": "2026-01-01",
            "end_date": "2027-12-31",
        },
    ),
    ("GET", "/contracts/{contract_id}"): Rule(READ),
    ("PATCH", "/contracts/{contract_id}"): Rule(MANAGER, lambda w, v: {"name": "C2"}),
    ("GET", "/contracts/{contract_id}/lines"): Rule(READ),
    ("GET", "/contracts/{contract_id}/lines/{line_id}"): Rule(READ),
    ("PATCH", "/contracts/{contract_id}/lines/{line_id}"): Rule(MANAGER, lambda w, v: {"total": 4}),
    ("DELETE", "/contracts/{contract_id}/lines/{line_id}"): Rule(MANAGER),
    ("POST", "/contracts/{contract_id}/lines"): Rule(
        MANAGER,
        lambda w, v: {
            "name": "L",
            "allotment_type": "cases",
            "total": 3,
            "start_date": "2026-01-01",
            "end_date": "2027-12-31",
        },
    ),
    ("GET", "/queues"): Rule(READ),
    ("POST", "/queues"): Rule(MANAGER, lambda w, v: {"name": "Q", "type": "public"}),
    ("GET", "/queues/{queue_id}"): Rule(READ),
    ("PATCH", "/queues/{queue_id}"): Rule(MANAGER, lambda w, v: {"name": "Q2"}),
    ("GET", "/queues/{queue_id}/items"): Rule(READ),
    ("GET", "/queue-items"): Rule(READ),
    ("GET", "/calendars"): Rule(READ),
    ("POST", "/calendars"): Rule(MANAGER, lambda w, v: CALENDAR_BODY),
    ("GET", "/calendars/{calendar_id}"): Rule(READ),
    ("PATCH", "/calendars/{calendar_id}"): Rule(MANAGER, lambda w, v: {"name": "C2"}),
    ("GET", "/slas"): Rule(READ),
    ("POST", "/slas"): Rule(MANAGER, lambda w, v: SLA_BODY),
    ("GET", "/slas/{sla_id}"): Rule(READ),
    ("PATCH", "/slas/{sla_id}"): Rule(MANAGER, lambda w, v: {"name": "S2"}),
    ("POST", "/slas/{sla_id}/activate"): Rule(MANAGER, lambda w, v: {}),
    ("POST", "/slas/{sla_id}/deactivate"): Rule(MANAGER, lambda w, v: {}),
    ("GET", "/queue-items/{item_id}"): Rule(READ),
    # Notifications and follows are the caller's own (docs/notifications.md).
    ("GET", "/notifications"): Rule(READ),
    ("POST", "/notifications/read-all"): Rule(READ),
    ("POST", "/notifications/{notification_id}/read"): Rule(OWN_ONLY),
    ("GET", "/users/me/notification-settings"): Rule(READ),
    ("PUT", "/users/me/notification-settings"): Rule(
        READ, lambda w, v: {"mention": {"email": True}}
    ),
    ("GET", "/cases/{case_id}/follow"): Rule(READ),
    ("POST", "/cases/{case_id}/follow"): Rule(READ),
    ("DELETE", "/cases/{case_id}/follow"): Rule(READ),
    # Every agent may pick items of a public queue (docs/routing.md).
    ("POST", "/queue-items/{item_id}/pick"): Rule(READ, lambda w, v: {}),
    ("POST", "/queue-items/{item_id}/release"): Rule(CASE_WRITE, lambda w, v: {}),
    ("POST", "/queue-items/{item_id}/remove"): Rule(CASE_WRITE, lambda w, v: {}),
    ("GET", "/routing-rule-sets"): Rule(READ),
    ("POST", "/routing-rule-sets"): Rule(MANAGER, lambda w, v: {"name": "R", "items": []}),
    ("GET", "/routing-rule-sets/{rule_set_id}"): Rule(READ),
    ("PATCH", "/routing-rule-sets/{rule_set_id}"): Rule(MANAGER, lambda w, v: {"name": "R2"}),
    ("POST", "/routing-rule-sets/{rule_set_id}/activate"): Rule(MANAGER, lambda w, v: {}),
    ("POST", "/routing-rule-sets/{rule_set_id}/deactivate"): Rule(MANAGER, lambda w, v: {}),
}

PREFIX = "/api/v1"
PUBLIC_DOCS = {"/openapi.json", "/docs"}


def _operations() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema()
    found = []
    for path, methods in schema["paths"].items():
        for method in methods:
            found.append((method.upper(), path.removeprefix(PREFIX)))
    return found


def test_every_api_operation_has_an_access_rule() -> None:
    operations = _operations()
    missing = [op for op in operations if op not in RULES]
    stale = [op for op in RULES if op not in operations]
    assert missing == [], f"operations without an access rule: {missing}"
    assert stale == [], f"rules for operations that no longer exist: {stale}"


def _api(user: Any) -> Api:
    from casedesk.directory import services

    _token, secret = services.token_create(user=user)
    return Api(Client(), secret)


def _build_world(make_user: Any) -> dict[str, Any]:
    from casedesk.directory import services

    agent_a = make_user("agent", username="agent_a")
    agent_b = make_user("agent", username="agent_b")
    manager = make_user("manager", username="boss")
    admin = make_user("admin", username="root")
    a, b, m = _api(agent_a), _api(agent_b), _api(manager)
    account = a.post("/api/v1/accounts", {"name": "Matrix Srl"}).json()["id"]
    contact = a.post("/api/v1/contacts", {"last_name": "Rossi", "account_id": account}).json()

    def case(api_: Api) -> str:
        response = api_.post(
            "/api/v1/cases",
            {"title": "Matrix case", "customer": {"type": "account", "id": account}},
        )
        assert response.status_code == 201, response.content
        return str(response.json()["id"])

    def resolved(api_: Api) -> str:
        case_id = case(api_)
        r = api_.post(
            f"/api/v1/cases/{case_id}/resolve",
            {"resolution_type": "problem_solved", "resolution": "done", "billable_minutes": 0},
        )
        assert r.status_code == 200, r.content
        return case_id

    def activity(api_: Api, case_id: str) -> str:
        r = api_.post(f"/api/v1/cases/{case_id}/activities", {"type": "task", "subject": "T"})
        assert r.status_code == 201, r.content
        return str(r.json()["id"])

    world: dict[str, Any] = {
        "users": {"agent_a": agent_a, "agent_b": agent_b, "manager": manager, "admin": admin},
        "agent_a_id": str(agent_a.id),
        "account": account,
        "contact": contact["id"],
        "case_own": case(a),
        "case_other": case(b),
        "master": case(a),
        "resolved_own": resolved(a),
        "resolved_other": resolved(b),
    }
    world["activity_own"] = activity(a, world["case_own"])
    world["activity_other"] = activity(b, world["case_other"])
    queue = m.post("/api/v1/queues", {"name": "Public", "type": "public"}).json()["id"]
    world["queue"] = queue
    item_own = m.post(f"/api/v1/cases/{world['case_own']}/queue", {"queue_id": queue}).json()
    item_other = m.post(f"/api/v1/cases/{world['case_other']}/queue", {"queue_id": queue}).json()
    world["item_own"] = _item_id(m, world["case_own"], item_own)
    world["item_other"] = _item_id(m, world["case_other"], item_other)
    # The other case's item is being worked by its owner: releasing it is theirs to do.
    _api(agent_b).post(f"/api/v1/queue-items/{world['item_other']}/pick", {})
    world["entitlement"] = m.post(
        "/api/v1/entitlements", RULES[("POST", "/entitlements")].body(world, "")
    ).json()["id"]  # type: ignore[misc]
    world["contract"] = m.post(
        "/api/v1/contracts", RULES[("POST", "/contracts")].body(world, "")
    ).json()["id"]  # type: ignore[misc]
    world["line"] = m.post(
        f"/api/v1/contracts/{world['contract']}/lines",
        RULES[("POST", "/contracts/{contract_id}/lines")].body(world, ""),  # type: ignore[misc]
    ).json()["id"]
    world["calendar"] = m.post("/api/v1/calendars", CALENDAR_BODY).json()["id"]
    world["sla"] = m.post("/api/v1/slas", SLA_BODY).json()["id"]
    world["rule_set"] = m.post("/api/v1/routing-rule-sets", {"name": "R", "items": []}).json()["id"]
    world["team"] = services.team_create(actor=SYSTEM, name="Matrix team").id
    world["token_own"] = services.token_create(user=agent_a)[0].id
    world["token_other"] = services.token_create(user=agent_b)[0].id
    from casedesk.attachments.services import attachment_upload
    from casedesk.events.services import webhook_create
    from casedesk.mail.services.mailboxes import mailbox_create

    world["webhook"] = webhook_create(
        actor=admin, url=WEBHOOK_URL, events=["*"], secret="matrix-secret-0123456789"
    ).id
    world["mailbox"] = mailbox_create(actor=admin, name="Matrix", address="matrix@desk.example").id
    world["attachment_own"] = attachment_upload(
        actor=agent_a,
        source=b"own",
        filename="own.txt",
        content_type="text/plain",
        case_id=uuid.UUID(world["case_own"]),
    ).id
    world["attachment_other"] = attachment_upload(
        actor=agent_b,
        source=b"other",
        filename="other.txt",
        content_type="text/plain",
        case_id=uuid.UUID(world["case_other"]),
    ).id
    from casedesk.notifications.models import Notification
    from casedesk.notifications.services.notify import notify_users

    for key, user in (("notification_own", agent_a), ("notification_other", agent_b)):
        notify_users(
            kind="mention",
            recipients=[user.pk],
            case_id=uuid.UUID(world["case_own"]),
            actor_id=None,
            message="mentioned",
        )
        world[key] = Notification.objects.get(recipient_id=user.pk, kind="mention").pk
    return world


def _item_id(api_: Api, case_id: str, answer: dict[str, Any]) -> str:
    if "queue_id" in answer and "case_id" in answer and "id" in answer:
        return str(answer["id"])
    items = api_.get("/api/v1/queue-items", case_id=case_id).json().get("items", [])
    for item in items:
        if item.get("case_id") == case_id:
            return str(item["id"])
    queue_items = api_.get(f"/api/v1/queues/{answer.get('queue_id')}/items").json()["items"]
    return str(next(i["id"] for i in queue_items if i["case_id"] == case_id))


def _fill(path: str, world: dict[str, Any], variant: str, method: str) -> str:
    other = variant == "agent_other"

    def value(name: str) -> str:
        if name == "case_id":
            if path.endswith("/reactivate"):
                return str(world["resolved_other" if other else "resolved_own"])
            return str(world["case_other" if other else "case_own"])
        if name == "activity_id":
            return str(world["activity_other" if other else "activity_own"])
        if name == "item_id":
            return str(world["item_other" if other else "item_own"])
        if name == "token_id":
            return str(world["token_other" if variant != "agent_own" else "token_own"])
        if name == "attachment_id":
            return str(world["attachment_other" if other else "attachment_own"])
        if name == "notification_id":
            return str(
                world["notification_own" if variant == "agent_own" else "notification_other"]
            )
        if name == "customer_type":
            return "account"
        if name == "customer_id":
            return str(world["account"])
        if name == "user_id":
            return str(world["agent_a_id"])
        simple = {
            "account_id": "account",
            "contact_id": "contact",
            "team_id": "team",
            "entitlement_id": "entitlement",
            "contract_id": "contract",
            "line_id": "line",
            "queue_id": "queue",
            "calendar_id": "calendar",
            "sla_id": "sla",
            "rule_set_id": "rule_set",
            "mailbox_id": "mailbox",
            "webhook_id": "webhook",
        }
        return str(world[simple[name]])

    return re.sub(r"\{(\w+)\}", lambda m: value(m.group(1)), path)


def _caller(variant: str, world: dict[str, Any]) -> Api:
    if variant == "anon":
        return Api(Client())
    user = {
        "agent_own": "agent_a",
        "agent_other": "agent_a",
        "manager": "manager",
        "admin": "admin",
    }[variant]
    return _api(world["users"][user])


@pytest.mark.django_db
def test_every_operation_answers_each_caller_as_its_rule_says(
    make_user: Any, settings: Any
) -> None:
    """One world, every operation, every caller; each call is rolled back before the next."""
    world = _build_world(make_user)
    # The world's cases have no mailbox: e-mails from them go from the desk's address.
    settings.MAIL_FROM = "desk@desk.example"
    callers = {
        variant: _caller(variant, world)
        for variant in ("anon", "agent_own", "agent_other", "manager", "admin")
    }
    callers["agent_other"] = callers["agent_own"]
    failures = []
    checked = 0
    for (method, template), rule in sorted(RULES.items()):
        for variant, expected in rule.access.items():
            with transaction.atomic():
                sid = transaction.savepoint()
                path = PREFIX + _fill(template, world, variant, method)
                body = rule.body(world, variant) if rule.body else None
                query = rule.query(world, variant) if rule.query else {}
                if method in {"GET", "DELETE"}:
                    response = callers[variant].call(method, path, **query)
                else:
                    response = callers[variant].call(method, path, body if body is not None else {})
                status = response.status_code
                transaction.savepoint_rollback(sid)
            checked += 1
            where = f"{method} {template} as {variant}"
            if status >= 500:
                failures.append(f"{where}: server error {status}")
            elif expected == OK and status in {401, 403}:
                failures.append(
                    f"{where}: expected access, got {status} {response.content[:200]!r}"
                )
            elif expected != OK and status != expected:
                failures.append(
                    f"{where}: expected {expected}, got {status} {response.content[:200]!r}"
                )
    assert failures == [], "\n".join(failures)
    assert checked == sum(len(rule.access) for rule in RULES.values())
    print(f"access matrix: {len(RULES)} operations x callers = {checked} checks")
