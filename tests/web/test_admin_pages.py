"""Entitlements and the administration pages through Django's test client."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/queues/",
        "/admin/queues/new/",
        "/admin/rule-sets/",
        "/admin/rule-sets/new/",
        "/admin/transitions/",
        "/admin/service/",
    ],
)
def test_administration_is_for_managers_only(
    web: Callable[..., Client], agent: Any, manager: Any, path: str
) -> None:
    assert web(agent).get(path).status_code == 403
    assert web(manager).get(path).status_code == 200
    assert Client().get(path).status_code == 302


def test_users_and_teams_are_for_administrators_only(
    web: Callable[..., Client], manager: Any, admin: Any
) -> None:
    assert web(manager).get("/admin/users/").status_code == 403
    assert web(admin).get("/admin/users/").status_code == 200


def test_admin_creates_a_team_and_a_user_in_it(web: Callable[..., Client], admin: Any) -> None:
    from casedesk.directory.models import Team, User

    client = web(admin)
    client.post("/admin/users/", {"kind": "team", "team-name": "Fatturazione"})
    team = Team.objects.get(name="Fatturazione")
    response = client.post(
        "/admin/users/",
        {
            "kind": "user",
            "user-username": "paola",
            "user-full_name": "Paola Neri",
            "user-role": "agent",
            "user-password": "lungo-e-sicuro-2026!",
            "user-teams": [str(team.pk)],
        },
    )
    assert response.status_code == 302
    assert User.objects.get(username="paola").teams.filter(pk=team.pk).exists()


def test_admin_sees_the_password_policy_refusal(web: Callable[..., Client], admin: Any) -> None:
    response = web(admin).post(
        "/admin/users/",
        {"kind": "user", "user-username": "weak", "user-role": "agent", "user-password": "123"},
    )
    assert response.status_code == 422
    assert "password" in response.context["user_form"].errors


def test_manager_creates_and_edits_a_private_queue(
    web: Callable[..., Client], manager: Any, agent: Any
) -> None:
    from casedesk.routing.models import Queue

    client = web(manager)
    client.post(
        "/admin/queues/new/", {"name": "VIP", "type": "private", "members": [str(agent.pk)]}
    )
    queue = Queue.objects.get(name="VIP")
    assert queue.type == "private" and list(queue.members.all()) == [agent]
    client.post(
        f"/admin/queues/{queue.pk}/",
        {"name": "Clienti VIP", "type": "private", "members": [], "version": queue.version},
    )
    queue.refresh_from_db()
    assert queue.name == "Clienti VIP" and not queue.members.exists()


def _rule_set_post(queue: Any, **extra: Any) -> dict[str, Any]:
    data = {
        "name": "Standard",
        "items-TOTAL_FORMS": "2",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-name": "Urgent",
        "items-0-route_to": f"queue:{queue.pk}",
        "items-0-c0_field": "priority",
        "items-0-c0_op": "in",
        "items-0-c0_value": "high, normal",
    }
    data.update(extra)
    return data


def test_manager_builds_activates_and_deactivates_a_rule_set(
    web: Callable[..., Client], manager: Any
) -> None:
    from casedesk.routing.models import RoutingRuleSet
    from casedesk.routing.services import queues

    queue = queues.queue_create(actor=manager, name="Tier 2")
    client = web(manager)
    response = client.post("/admin/rule-sets/new/", _rule_set_post(queue))
    assert response.status_code == 302, response.context and response.context["form"].errors
    rule_set = RoutingRuleSet.objects.get(name="Standard")
    item = rule_set.items.get()
    assert item.conditions == [{"field": "priority", "op": "in", "value": ["high", "normal"]}]
    client.post(f"/admin/rule-sets/{rule_set.pk}/activate/", {"version": rule_set.version})
    rule_set.refresh_from_db()
    assert rule_set.active
    page = client.get(f"/admin/rule-sets/{rule_set.pk}/").content.decode()
    assert "read-only" in page
    # Its one rule, no blank ones; fields and operators by their labels, not their names.
    assert 'name="items-TOTAL_FORMS" value="1"' in page
    assert '<option value="priority" selected>Priority</option>' in page
    assert '<option value="in" selected>is one of</option>' in page
    assert ">merged_into_id<" not in page and ">is_null<" not in page
    client.post(f"/admin/rule-sets/{rule_set.pk}/deactivate/", {"version": rule_set.version})
    rule_set.refresh_from_db()
    assert not rule_set.active


def test_rule_set_refuses_an_unknown_value_kind_with_the_services_message(
    web: Callable[..., Client], manager: Any
) -> None:
    from casedesk.routing.services import queues

    queue = queues.queue_create(actor=manager, name="Tier 2")
    response = web(manager).post(
        "/admin/rule-sets/new/",
        _rule_set_post(queue, **{"items-0-c0_op": "eq", "items-0-c0_value": "urgentissimo"}),
    )
    assert response.status_code == 422
    assert response.context["form"].non_field_errors()


def test_transitions_are_saved_and_refused_when_a_status_cannot_close(
    web: Callable[..., Client], manager: Any
) -> None:
    from casedesk.cases.selectors import service_settings

    client = web(manager)
    refused = client.post(
        "/admin/transitions/", {"enforced": "on", "t-in_progress-on_hold": "on", "version": 1}
    )
    assert refused.status_code == 422
    assert not service_settings().transitions_enforced
    accepted = client.post(
        "/admin/transitions/",
        {
            "enforced": "on",
            "version": 1,
            **{f"t-{s}-problem_solved": "on" for s in ("in_progress", "on_hold")},
            **{f"t-{s}-problem_solved": "on" for s in ("waiting_for_details", "researching")},
        },
    )
    assert accepted.status_code == 302
    config = service_settings()
    assert config.transitions_enforced
    assert config.transitions_allowed["in_progress"] == ["problem_solved"]


def test_service_settings_change_the_parent_close_policy(
    web: Callable[..., Client], manager: Any
) -> None:
    from casedesk.cases.selectors import service_settings

    response = web(manager).post(
        "/admin/service/",
        {
            "parent_close_policy": "cascade",
            "max_child_cases": "10",
            "apply_default_entitlement_on_create": "on",
            "apply_default_entitlement_on_update": "on",
            "version": service_settings().version,
        },
    )
    assert response.status_code == 302
    config = service_settings()
    assert (config.parent_close_policy, config.max_child_cases) == ("cascade", 10)


def test_manager_creates_activates_an_entitlement_and_sees_its_ledger(
    web: Callable[..., Client], manager: Any, account: Any, make_case: Any
) -> None:
    from casedesk.entitlements.models import Entitlement

    client = web(manager)
    response = client.post(
        "/entitlements/new/",
        {
            "name": "Supporto 2026",
            "customer": f"account:{account.pk}",
            "start_date": "2020-01-01",
            "end_date": "2099-12-31",
            "allocation_type": "cases",
            "total_terms": "5",
            "decrease_on": "creation",
            "is_default": "on",
            "terms_phone": "3",
        },
    )
    assert response.status_code == 302
    ent = Entitlement.objects.get(name="Supporto 2026")
    assert ent.state == "draft" and ent.channels.get().channel == "phone"
    activated = client.post(
        f"/entitlements/{ent.pk}/activate/", {"version": ent.version}, follow=True
    )
    assert "The entitlement was activated." in activated.content.decode()
    ent.refresh_from_db()
    assert ent.state == "active"
    make_case(title="Uses a term")  # the default entitlement applies on creation
    page = client.get(f"/entitlements/{ent.pk}/").content.decode()
    assert "4 cases" in page and "Uses a term" not in page and "CAS-" in page
    # On a phone the ledger is cards, each cell labelled: nothing cut off at the side.
    assert 'class="list cards" data-ledger' in page and 'data-label="Reason"' in page
    listing = client.get("/entitlements/?state=active").content.decode()
    assert "Supporto 2026" in listing


def test_agents_read_entitlements_but_cannot_create_them(
    web: Callable[..., Client], agent: Any, account: Any
) -> None:
    client = web(agent)
    assert client.get("/entitlements/").status_code == 200
    response = client.post(
        "/entitlements/new/",
        {
            "name": "Sneaky",
            "customer": f"account:{account.pk}",
            "start_date": "2020-01-01",
            "end_date": "2099-12-31",
            "allocation_type": "cases",
            "total_terms": "5",
            "decrease_on": "creation",
        },
    )
    assert response.status_code == 403


def test_entitlement_state_refusal_is_shown_not_a_server_error(
    web: Callable[..., Client], manager: Any, account: Any
) -> None:
    from casedesk.cases.services.common import Ref
    from casedesk.entitlements.services import entitlements

    ent = entitlements.entitlement_create(
        actor=manager,
        name="Draft",
        customer=Ref("account", account.pk),
        start_date=dt.date(2020, 1, 1),
        end_date=dt.date(2099, 1, 1),
        allocation_type="cases",
        total_terms=1,
    )
    response = web(manager).post(f"/entitlements/{ent.pk}/deactivate/", {"version": ent.version})
    assert response.status_code == 409


def test_rule_set_items_are_reordered_by_their_position(
    web: Callable[..., Client], manager: Any
) -> None:
    from casedesk.routing.models import RoutingRuleSet
    from casedesk.routing.services import queues

    queue = queues.queue_create(actor=manager, name="Tier 2")
    data = _rule_set_post(
        queue,
        **{
            "items-0-ORDER": "2",
            "items-1-name": "Everything else",
            "items-1-route_to": f"queue:{queue.pk}",
            "items-1-ORDER": "1",
        },
    )
    response = web(manager).post("/admin/rule-sets/new/", data)
    assert response.status_code == 302
    names = [i.name for i in RoutingRuleSet.objects.get(name="Standard").items.order_by("position")]
    assert names == ["Everything else", "Urgent"]


def test_web_form_shows_the_refusal_on_the_user_name_when_it_holds_a_bidi_override(
    web: Callable[..., Client], admin: Any
) -> None:
    response = web(admin).post(
        "/admin/users/",
        {
            "kind": "user",
            "user-username": "\u202enimda",
            "user-role": "agent",
            "user-password": "a-long-enough-pass-1",
        },
    )
    from casedesk.directory.models import User

    assert response.status_code == 422
    assert "username" in response.context["user_form"].errors
    assert not User.objects.filter(username="\u202enimda").exists()


@pytest.mark.parametrize(
    ("path", "english", "italian"),
    [
        (
            "items.1.conditions.0.value",
            "Rule 2, condition 1, value",
            "Regola 2, condizione 1, valore",
        ),
        ("items.0.name", "Rule 1, name", "Regola 1, nome"),
        ("allowed.in_progress", "In progress", "In corso"),
        ("title", "Case title", "Titolo caso"),
        ("something.else", "something.else", "something.else"),
    ],
)
def test_refusals_name_where_they_point_as_people_say_it(
    path: str, english: str, italian: str
) -> None:
    from django.utils import translation

    from casedesk.web.errors import field_path_label

    with translation.override("en"):
        assert field_path_label(path) == english
    with translation.override("it"):
        assert field_path_label(path) == italian
