"""The access matrix of the web UI: every view of the URL configuration × anonymous, agent (own
and another's case), manager and admin.

A new view without a rule here fails the suite. Pages are checked by status; actions on a case
are checked by their effect: the same form that changes the agent's own case must change
nothing on another agent's case.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from casedesk.cases.models import Activity, Case, Connection, Note, Post
from casedesk.directory.models import ApiToken
from casedesk.entitlements.models import Contract, ContractLine, Entitlement
from casedesk.routing.models import QueueItem, RoutingRuleSet
from casedesk.sla.models import Sla
from tests.security.test_api_access_matrix import _build_world

PUBLIC = "public"  # answers everyone
PAGE = "page"  # any signed-in user may open it
MANAGER_PAGE = "manager_page"  # managers and administrators
ADMIN_PAGE = "admin_page"  # administrators only
OPEN_ACTION = "open_action"  # any signed-in user may post it
LOOKUP = "lookup"  # parts of pages fetched by the browser: 401 (not a redirect) when signed out
LOOKUP_ACTION = "lookup_action"  # the same, posted
# A part of a page about a record of the user's own (a saved view): 200 to its owner, 404 to
# anyone else, 401 when signed out.
OWN_LOOKUP = "own_lookup"
CASE_ACTION = "case_action"  # changes a case: the agent's own yes, another's no
MANAGER_ACTION = "manager_action"  # changes configuration: managers only
ADMIN_ACTION = "admin_action"  # administration: administrators only (403 for anyone else)
# Revokes an API token: the agent their own, an administrator anyone's, nobody else.
TOKEN_ACTION = "token_action"


@dataclass(frozen=True)
class Rule:
    kind: str
    form: Callable[[dict[str, Any], str], dict[str, Any]] | None = None


def _case_version(w: dict[str, Any], key: str) -> int:
    return Case.objects.get(id=w[key]).version


def _form(**fields: Any) -> Callable[[dict[str, Any], str], dict[str, Any]]:
    def build(w: dict[str, Any], case_key: str) -> dict[str, Any]:
        data = {}
        for name, value in fields.items():
            data[name] = value(w, case_key) if callable(value) else value
        return data

    return build


def version(w: dict[str, Any], key: str) -> int:
    return _case_version(w, key)


def activity_version(w: dict[str, Any], key: str) -> int:
    other = key.endswith("other")
    return Activity.objects.get(id=w["activity_other" if other else "activity_own"]).version


def line_version(w: dict[str, Any], key: str) -> int:
    return ContractLine.objects.get(id=w["line"]).version


def sla_version(w: dict[str, Any]) -> int:
    return Sla.objects.get(id=w["sla"]).version


RULES: dict[str, Rule] = {
    "login": Rule(PUBLIC),
    "logout": Rule(PUBLIC),
    "set_language": Rule(PUBLIC),
    "home": Rule(PAGE),
    "profile": Rule(PAGE),
    "search": Rule(PAGE),
    "token_create": Rule(OPEN_ACTION, _form(name="Matrix token", expires_in_days="7")),
    "token_revoke": Rule(TOKEN_ACTION),
    "case_list": Rule(PAGE),
    "case_new": Rule(PAGE),
    "case_find": Rule(PAGE),
    "case_bulk": Rule(OPEN_ACTION),
    "case_detail": Rule(PAGE),
    "case_similar": Rule(PAGE),
    "case_history": Rule(PAGE),
    "case_stage": Rule(CASE_ACTION, _form(stage="research", version=version)),
    "case_resolve": Rule(
        CASE_ACTION,
        _form(
            resolution_type="problem_solved",
            resolution="ok",
            billable_minutes=0,
            confirm="1",
            version=version,
        ),
    ),
    "case_cancel": Rule(CASE_ACTION, _form(status="cancelled", confirm="1", version=version)),
    "case_reactivate": Rule(CASE_ACTION, _form(version=version)),
    "case_first_response": Rule(CASE_ACTION, _form(version=version)),
    "case_assign": Rule(
        CASE_ACTION, _form(owner=lambda w, k: f"user:{w['manager_id']}", version=version)
    ),
    "case_queue": Rule(CASE_ACTION, _form(queue=lambda w, k: w["queue2"], version=version)),
    "case_route": Rule(CASE_ACTION),
    "case_decrement": Rule(CASE_ACTION, _form(decrement="0", version=version)),
    "activity_add": Rule(CASE_ACTION, _form(type="task", subject="Follow up")),
    "activity_edit": Rule(CASE_ACTION, _form(subject="Edited", version=activity_version)),
    "activity_complete": Rule(CASE_ACTION, _form(duration_minutes=5, version=activity_version)),
    "activity_cancel": Rule(CASE_ACTION, _form(version=activity_version)),
    "note_add": Rule(CASE_ACTION, _form(text="A note")),
    "post_add": Rule(CASE_ACTION, _form(text="A post")),
    "email_add": Rule(CASE_ACTION, _form(text="An answer", to="customer@example.com")),
    "connection_add": Rule(CASE_ACTION, _form(other=lambda w, k: w["resolved_b2"])),
    "queue_items": Rule(PAGE),
    # Saved views are the user's own: another user's is not found (tests/web/test_saved_views).
    "saved_view_create": Rule(OPEN_ACTION, _form(name="Matrix view", view="active")),
    "saved_view_rename": Rule(OPEN_ACTION, _form(name="Renamed view")),
    "saved_view_delete": Rule(OPEN_ACTION),
    "saved_view_count": Rule(OWN_LOOKUP),
    "queue_item_pick": Rule(OPEN_ACTION),
    "queue_item_release": Rule(CASE_ACTION),
    "queue_item_remove": Rule(CASE_ACTION),
    "entitlement_list": Rule(PAGE),
    "entitlement_new": Rule(PAGE),
    "entitlement_detail": Rule(PAGE),
    "entitlement_edit": Rule(PAGE),
    "entitlement_activate": Rule(MANAGER_ACTION),
    "entitlement_deactivate": Rule(MANAGER_ACTION),
    "entitlement_cancel": Rule(MANAGER_ACTION),
    "entitlement_default": Rule(MANAGER_ACTION),
    "contract_list": Rule(PAGE),
    "contract_new": Rule(PAGE),
    "contract_detail": Rule(PAGE),
    "contract_edit": Rule(PAGE),
    "contract_line_add": Rule(
        MANAGER_ACTION, _form(name="Line", allotment_type="cases", total="2")
    ),
    "contract_line_edit": Rule(PAGE),
    "contract_line_remove": Rule(MANAGER_ACTION, _form(version=line_version)),
    "admin_home": Rule(MANAGER_PAGE),
    "admin_queues": Rule(MANAGER_PAGE),
    "admin_queue_new": Rule(MANAGER_PAGE),
    "admin_queue": Rule(MANAGER_PAGE),
    "admin_rule_sets": Rule(MANAGER_PAGE),
    "admin_rule_set_new": Rule(MANAGER_PAGE),
    "admin_rule_set": Rule(MANAGER_PAGE),
    "admin_rule_set_activate": Rule(MANAGER_ACTION),
    "admin_rule_set_deactivate": Rule(MANAGER_ACTION),
    "admin_calendars": Rule(MANAGER_PAGE),
    "admin_calendar_new": Rule(MANAGER_PAGE),
    "admin_calendar": Rule(MANAGER_PAGE),
    "admin_slas": Rule(MANAGER_PAGE),
    "admin_sla_new": Rule(MANAGER_PAGE),
    "admin_sla": Rule(MANAGER_PAGE),
    "admin_sla_activate": Rule(MANAGER_ACTION, _form(version=lambda w, k: sla_version(w))),
    "admin_sla_deactivate": Rule(MANAGER_ACTION, _form(version=lambda w, k: sla_version(w))),
    "admin_transitions": Rule(MANAGER_PAGE),
    "admin_service": Rule(MANAGER_PAGE),
    "admin_users": Rule(ADMIN_PAGE),
    "admin_user": Rule(ADMIN_PAGE),
    "admin_team": Rule(ADMIN_PAGE),
    "admin_mailboxes": Rule(ADMIN_PAGE),
    "admin_mailbox_new": Rule(ADMIN_PAGE),
    "admin_mailbox": Rule(ADMIN_PAGE),
    "admin_mailbox_poll": Rule(ADMIN_ACTION),
    # Every user reads a case and so its files.
    "attachment_download": Rule(PAGE),
    "admin_webhooks": Rule(ADMIN_PAGE),
    "admin_webhook_new": Rule(ADMIN_PAGE),
    "admin_webhook": Rule(ADMIN_PAGE),
    "admin_webhook_deliveries": Rule(ADMIN_PAGE),
    "admin_webhook_delete": Rule(ADMIN_ACTION),
    "customer_list": Rule(PAGE),
    "customer_detail": Rule(PAGE),
    # Whoever may create cases creates and edits accounts and contacts (the services' rule).
    "customer_new": Rule(PAGE),
    "customer_edit": Rule(PAGE),
    "customer_panel": Rule(PAGE),
    # Notifications and follows are the user's own (docs/notifications.md).
    "notification_list": Rule(PAGE),
    "notification_read": Rule(OPEN_ACTION),
    "notifications_read_all": Rule(OPEN_ACTION),
    "notification_settings": Rule(OPEN_ACTION, _form(**{"mention.email": "on"})),
    "case_follow": Rule(OPEN_ACTION),
    "case_unfollow": Rule(OPEN_ACTION),
    "user_mention_lookup": Rule(LOOKUP),
    "customer_lookup": Rule(LOOKUP),
    "contact_lookup": Rule(LOOKUP),
    "account_create": Rule(LOOKUP_ACTION),
    "contact_create": Rule(LOOKUP_ACTION),
}


def _web_patterns() -> dict[str, str]:
    found: dict[str, str] = {}

    def walk(patterns: list[Any], prefix: str, namespace: str | None) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern), p.namespace or namespace)
            elif isinstance(p, URLPattern) and namespace == "web" and p.name:
                found[p.name] = "/" + prefix + str(p.pattern)

    walk(get_resolver().url_patterns, "", None)
    return found


def test_every_web_view_has_an_access_rule() -> None:
    views = _web_patterns()
    assert sorted(set(views) - set(RULES)) == [], "views without an access rule"
    assert sorted(set(RULES) - set(views)) == [], "rules for views that no longer exist"


def _url(route: str, w: dict[str, Any], other: bool) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "case_id":
            if route.endswith(("/reactivate/",)):
                return str(w["resolved_other" if other else "resolved_own"])
            return str(w["case_other" if other else "case_own"])
        if name == "activity_id":
            return str(w["activity_other" if other else "activity_own"])
        if name == "item_id":
            return str(w["item_other" if other else "item_own"])
        if name == "token_id":
            return str(w["token_other" if other else "token_own"])
        if name == "customer_type":
            return "account"
        if name == "customer_id":
            return str(w["account"])
        return str(
            w[
                {
                    "queue_id": "queue",
                    "rule_set_id": "rule_set",
                    "calendar_id": "calendar",
                    "sla_id": "sla",
                    "entitlement_id": "entitlement",
                    "contract_id": "contract",
                    "line_id": "line",
                    "user_id": "agent_a_id",
                    "team_id": "team",
                    "mailbox_id": "mailbox",
                    "webhook_id": "webhook",
                    "attachment_id": "attachment_own",
                    "notification_id": "notification_own",
                    "saved_view_id": "saved_view",
                }[name]
            ]
        )

    return re.sub(r"<(?:\w+:)?(\w+)>", value, route)


def _effect(name: str, w: dict[str, Any], other: bool) -> tuple[Any, ...]:
    """What an action would change on the targeted case (or item, activity, record)."""
    case_id = w["case_other" if other else "case_own"]
    if name == "case_reactivate":
        case_id = w["resolved_other" if other else "resolved_own"]
    activity_id = w["activity_other" if other else "activity_own"]
    item_id = w["item_other" if other else "item_own"]
    item = QueueItem.objects.get(id=item_id)
    return (
        Case.objects.get(id=case_id).version,
        Activity.objects.filter(case_id=case_id).count(),
        Activity.objects.get(id=activity_id).state,
        Activity.objects.get(id=activity_id).version,
        Note.objects.filter(case_id=case_id).count(),
        Post.objects.filter(case_id=case_id, author__isnull=False).count(),
        Connection.objects.filter(case_id=case_id).count(),
        item.state,
        item.worked_by_id,
    )


def _config_effect(w: dict[str, Any]) -> tuple[Any, ...]:
    entitlement = Entitlement.objects.get(id=w["entitlement"])
    rule_set = RoutingRuleSet.objects.get(id=w["rule_set"])
    contract = Contract.objects.get(id=w["contract"])
    return (
        entitlement.version,
        entitlement.state,
        entitlement.is_default,
        rule_set.active,
        Sla.objects.get(id=w["sla"]).active,
        Sla.objects.get(id=w["sla"]).version,
        contract.version,
        ContractLine.objects.filter(contract=contract).count(),
        ApiToken.objects.get(id=w["token_own"]).revoked_at,
        ApiToken.objects.get(id=w["token_other"]).revoked_at,
    )


def _client(user: Any | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.django_db
def test_every_web_view_answers_each_caller_as_its_rule_says(make_user: Any, settings: Any) -> None:
    w = _build_world(make_user)
    # The world's cases have no mailbox: e-mails from them go from the desk's address.
    settings.MAIL_FROM = "desk@desk.example"
    users = w["users"]
    w["manager_id"] = str(users["manager"].id)
    from tests.conftest import Api

    manager_api = Api(Client())
    from casedesk.directory import services

    manager_api.token = services.token_create(user=users["manager"])[1]
    w["queue2"] = manager_api.post("/api/v1/queues", {"name": "Second", "type": "public"}).json()[
        "id"
    ]
    b_api = Api(Client(), services.token_create(user=users["agent_b"])[1])
    b2 = b_api.post(
        "/api/v1/cases", {"title": "B2", "customer": {"type": "account", "id": w["account"]}}
    ).json()
    b_api.post(
        f"/api/v1/cases/{b2['id']}/resolve",
        {"resolution_type": "problem_solved", "resolution": "done"},
    )
    w["resolved_b2"] = b2["id"]
    from casedesk.cases.services.saved_views import saved_view_create

    w["saved_view"] = saved_view_create(actor=users["agent_a"], name="Agent's", query={}).pk
    clients = {
        "anon": _client(None),
        "agent": _client(users["agent_a"]),
        "manager": _client(users["manager"]),
        "admin": _client(users["admin"]),
    }
    failures: list[str] = []
    checked = 0

    def call(client: Client, method: str, url: str, data: dict[str, Any] | None = None) -> Any:
        with transaction.atomic():
            sid = transaction.savepoint()
            response = getattr(client, method)(url, data or {})
            effect = None
            transaction.savepoint_rollback(sid)
        return response, effect

    for name, route in sorted(_web_patterns().items()):
        rule = RULES[name]
        own_url = _url(route, w, other=False)
        method = (
            "post" if rule.kind.endswith("action") or name in {"logout", "set_language"} else "get"
        )
        # Anonymous callers are sent to sign in, except on public views.
        response, _ = call(clients["anon"], method, own_url)
        checked += 1
        if rule.kind == PUBLIC:
            if response.status_code >= 400:
                failures.append(f"{name} anon: {response.status_code}")
        elif rule.kind in {LOOKUP, LOOKUP_ACTION, OWN_LOOKUP}:
            if response.status_code != 401:
                failures.append(f"{name} anon: expected 401, got {response.status_code}")
        elif response.status_code != 302 or "/login/" not in response["Location"]:
            failures.append(
                f"{name} anon: expected a redirect to sign in, got {response.status_code}"
            )
        if rule.kind == PUBLIC:
            continue
        if rule.kind in {PAGE, LOOKUP, MANAGER_PAGE, ADMIN_PAGE, OWN_LOOKUP}:
            allowed = {
                PAGE: {"agent", "manager", "admin"},
                LOOKUP: {"agent", "manager", "admin"},
                MANAGER_PAGE: {"manager", "admin"},
                ADMIN_PAGE: {"admin"},
                OWN_LOOKUP: {"agent"},  # the world's records of this kind are agent A's
            }[rule.kind]
            for role in ("agent", "manager", "admin"):
                response, _ = call(clients[role], "get", own_url)
                checked += 1
                refused = 404 if rule.kind == OWN_LOOKUP else 403
                expected = 200 if role in allowed else refused
                if response.status_code != expected:
                    failures.append(
                        f"{name} {role}: expected {expected}, got {response.status_code}"
                    )
            continue
        for role, other in (
            ("agent", False),
            ("agent", True),
            ("manager", False),
            ("manager", True),
            ("admin", True),
        ):
            url = _url(route, w, other=other)
            data = rule.form(w, "case_other" if other else "case_own") if rule.form else {}
            with transaction.atomic():
                sid = transaction.savepoint()
                before = _effect(name, w, other) + _config_effect(w)
                response = clients[role].post(url, data)
                after = _effect(name, w, other) + _config_effect(w)
                transaction.savepoint_rollback(sid)
            checked += 1
            where = f"{name} {role}{' on another agent' if other else ''}"
            if response.status_code >= 500:
                failures.append(f"{where}: server error")
                continue
            denied = (
                (rule.kind == CASE_ACTION and role == "agent" and other)
                or (rule.kind == MANAGER_ACTION and role == "agent")
                or (rule.kind == ADMIN_ACTION and role != "admin")
                # The agent's own token is another user's to the manager.
                or (rule.kind == TOKEN_ACTION and role != "admin" and (other or role != "agent"))
            )
            if rule.kind == ADMIN_ACTION and role != "admin" and response.status_code != 403:
                failures.append(f"{where}: expected 403, got {response.status_code}")
            if denied and after != before:
                failures.append(f"{where}: changed {before} -> {after}")
            changes = (rule.kind == CASE_ACTION and rule.form) or rule.kind == TOKEN_ACTION
            if changes and not denied and after == before:
                failures.append(f"{where}: the form changed nothing ({response.status_code})")
    assert failures == [], "\n".join(failures)
    print(f"web access matrix: {len(RULES)} views, {checked} checks")
