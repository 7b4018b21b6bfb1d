"""Who is told what (docs/notifications.md#kinds): assignments, changes on followed cases,
incoming e-mails, mentions and SLA firings; nobody of their own action; each user's choices;
a batch of writes at a constant number of queries."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casedesk.cases.models import Case
from casedesk.directory.access import SYSTEM
from casedesk.directory.services import user_update
from casedesk.mail.services.mailboxes import mailbox_create
from casedesk.mail.services.receive import mail_receive
from casedesk.notifications.models import Notification, NotificationEmail
from casedesk.notifications.selectors import notification_render
from casedesk.notifications.services.notify import notify_users, sla_firings_notify
from casedesk.notifications.services.preferences import (
    case_follow,
    case_unfollow,
    notification_settings_set,
)
from tests.conftest import Api
from tests.mail.conftest import message

pytestmark = pytest.mark.django_db
NewCase = Callable[..., dict[str, Any]]


def told(user: Any, kind: str | None = None) -> list[Notification]:
    qs = Notification.objects.filter(recipient_id=user.pk).select_related("case", "actor")
    if kind is not None:
        qs = qs.filter(kind=kind)
    return list(qs.order_by("created_at", "id"))


def assign(api: Api, case: dict[str, Any], owner_type: str, owner_id: Any) -> None:
    response = api.post(
        f"/api/v1/cases/{case['id']}/assign", {"owner": {"type": owner_type, "id": str(owner_id)}}
    )
    assert response.status_code == 200, response.content


def test_the_user_a_case_is_assigned_to_is_told_and_the_assigner_is_not(
    agent: Any, agent_api: Api, make_user: Any, new_case: NewCase
) -> None:
    marco = make_user("agent", username="marco")
    case = new_case()

    assign(agent_api, case, "user", marco.pk)

    [note] = told(marco)
    assert (note.kind, str(note.case_id), note.actor_id) == ("assigned", case["id"], agent.pk)
    assert notification_render(note) == (
        f"Anna Agente assigned {case['ticket_number']} “Router down” to you"
    )
    assert told(agent) == []


def test_each_member_of_the_team_a_case_is_assigned_to_is_told_but_not_the_assigner(
    agent: Any, agent_api: Api, make_user: Any, new_case: NewCase
) -> None:
    marco = make_user("agent", username="marco", teams=["Tier 1"])
    lucia = make_user("agent", username="lucia", teams=["Tier 1"])
    user_update(actor=SYSTEM, user_id=agent.pk, changes={"team_ids": [marco.teams.get().pk]})
    case = new_case()

    assign(agent_api, case, "team", marco.teams.get().pk)

    assert [n.kind for n in told(marco)] == ["assigned"]
    assert [n.kind for n in told(lucia)] == ["assigned"]
    assert "to your team Tier 1" in notification_render(told(lucia)[0])
    assert told(agent) == []


def test_assigning_a_case_to_oneself_tells_nobody(
    agent: Any, agent_api: Api, new_case: NewCase
) -> None:
    case = new_case()
    assign(agent_api, case, "user", agent.pk)
    assert Notification.objects.count() == 0


def test_a_follower_is_told_of_a_change_but_not_of_their_own(
    agent: Any, agent_api: Api, make_user: Any, make_api: Any, new_case: NewCase
) -> None:
    marco = make_user("agent", username="marco")
    case = new_case()
    case_follow(actor=marco, case_id=uuid.UUID(case["id"]))
    case_follow(actor=agent, case_id=uuid.UUID(case["id"]))

    assert agent_api.patch(f"/api/v1/cases/{case['id']}", {"priority": "high"}).status_code == 200

    [note] = told(marco)
    assert note.kind == "followed_case_changed"
    assert notification_render(note).endswith(": edited")
    assert told(agent) == []


def test_a_follower_who_stops_following_is_told_nothing(
    agent_api: Api, make_user: Any, new_case: NewCase
) -> None:
    marco = make_user("agent", username="marco")
    case = new_case()
    case_follow(actor=marco, case_id=uuid.UUID(case["id"]))
    case_unfollow(actor=marco, case_id=uuid.UUID(case["id"]))

    agent_api.patch(f"/api/v1/cases/{case['id']}", {"priority": "high"})

    assert told(marco) == []


def test_a_follower_the_case_is_assigned_to_is_told_once_as_assigned(
    agent_api: Api, make_user: Any, new_case: NewCase
) -> None:
    marco = make_user("agent", username="marco")
    case = new_case()
    case_follow(actor=marco, case_id=uuid.UUID(case["id"]))

    assign(agent_api, case, "user", marco.pk)

    assert [n.kind for n in told(marco)] == ["assigned"]


def test_an_inactive_user_is_told_nothing(
    agent_api: Api, make_user: Any, new_case: NewCase
) -> None:
    marco = make_user("agent", username="marco")
    case = new_case()
    case_follow(actor=marco, case_id=uuid.UUID(case["id"]))
    user_update(actor=SYSTEM, user_id=marco.pk, changes={"is_active": False})

    agent_api.patch(f"/api/v1/cases/{case['id']}", {"priority": "high"})

    assert told(marco) == []


@pytest.fixture
def mailbox(admin: Any, agent: Any) -> Any:
    from casedesk.directory.models import User

    box = mailbox_create(actor=admin, name="Support", address="support@desk.example")
    box.owner_user = User.objects.get(pk=agent.pk)
    box.owner_team = None
    box.save()
    return box


def test_a_new_email_on_a_case_tells_its_owner_and_followers(
    mailbox: Any, agent: Any, make_user: Any
) -> None:
    first = mail_receive(mailbox=mailbox, raw=message())
    assert [n.kind for n in told(agent)] == ["assigned"]  # the new case, not also its e-mail
    marco = make_user("agent", username="marco")
    case_follow(actor=marco, case_id=first.case_id)

    reply = message(
        message_id="m2@customer.example", headers={"In-Reply-To": "<m1@customer.example>"}
    )
    assert mail_receive(mailbox=mailbox, raw=reply).outcome == "appended"

    ticket = Case.objects.get(id=first.case_id).ticket_number
    for user in (agent, marco):
        [note] = told(user, "email_received")
        assert notification_render(note) == (
            f"New e-mail from carla@customer.example on {ticket} “Help”"
        )
    assert told(marco, "followed_case_changed") == []


def test_a_mention_in_a_note_tells_each_active_user_named(
    agent: Any, agent_api: Api, make_user: Any, new_case: NewCase
) -> None:
    marco = make_user("agent", username="marco")
    lucia = make_user("agent", username="lucia")
    gone = make_user("agent", username="gone")
    user_update(actor=SYSTEM, user_id=gone.pk, changes={"is_active": False})
    case = new_case()
    case_follow(actor=lucia, case_id=uuid.UUID(case["id"]))
    case_follow(actor=marco, case_id=uuid.UUID(case["id"]))

    text = "@Marco and @gone, see anna@example.com; @nobody @anna1"
    response = agent_api.post(f"/api/v1/cases/{case['id']}/notes", {"text": text})
    assert response.status_code == 201, response.content

    assert [n.kind for n in told(marco)] == ["mention"]  # not also as a follower
    assert notification_render(told(marco)[0]) == (
        f"Anna Agente mentioned you in a note on {case['ticket_number']} “Router down”"
    )
    assert [n.kind for n in told(lucia)] == ["followed_case_changed"]
    assert "added a note" in notification_render(told(lucia)[0])
    assert told(gone) == [] and told(agent) == []


def test_mentioning_oneself_tells_nobody(agent: Any, agent_api: Api, new_case: NewCase) -> None:
    case = new_case()
    agent_api.post(f"/api/v1/cases/{case['id']}/notes", {"text": f"@{agent.username} todo"})
    assert Notification.objects.count() == 0


@dataclass(frozen=True)
class Firing:
    case_id: uuid.UUID
    kind: str
    kpi: str
    item_name: str
    recipients: list[uuid.UUID] = field(default_factory=list)


def test_sla_firings_tell_the_users_they_name(
    make_user: Any, new_case: NewCase, settings: Any
) -> None:
    marco = make_user("agent", username="marco", email="marco@desk.example")
    case = new_case()
    case_id = uuid.UUID(case["id"])
    settings.MAIL_FROM, settings.SMTP_URL = "desk@desk.example", "smtp://127.0.0.1:1"

    sla_firings_notify(
        [
            Firing(case_id, "warning", "first_response", "Gold 4h", [marco.pk]),
            Firing(case_id, "failure", "resolve", "Gold 2d", [marco.pk, marco.pk]),
        ]
    )

    kinds = [n.kind for n in told(marco)]
    assert sorted(kinds) == ["sla_failure", "sla_warning"]
    failure = told(marco, "sla_failure")[0]
    assert notification_render(failure) == (
        f"{case['ticket_number']} “Router down”: Gold 2d (resolution) is overdue"
    )
    # By e-mail by default: the failure, not the warning.
    assert list(NotificationEmail.objects.values_list("kind", flat=True)) == ["sla_failure"]


def test_a_users_choices_decide_between_the_app_and_email(
    make_user: Any, new_case: NewCase, settings: Any
) -> None:
    settings.MAIL_FROM, settings.SMTP_URL = "desk@desk.example", "smtp://127.0.0.1:1"
    marco = make_user("agent", username="marco", email="marco@desk.example")
    lucia = make_user("agent", username="lucia", email="lucia@desk.example")
    notification_settings_set(
        actor=marco, choices={"assigned": {"in_app": False}, "mention": {"email": True}}
    )
    case_id = uuid.UUID(new_case()["id"])

    for kind in ("assigned", "mention"):
        notify_users(
            kind=kind,
            recipients=[marco.pk, lucia.pk],
            case_id=case_id,
            actor_id=None,
            message="mentioned",
        )

    assert [n.kind for n in told(marco)] == ["mention"]
    assert sorted(n.kind for n in told(lucia)) == ["assigned", "mention"]
    emails = NotificationEmail.objects.values_list("recipient__username", "kind")
    assert sorted(emails) == [("lucia", "assigned"), ("marco", "assigned"), ("marco", "mention")]


def test_no_email_is_written_without_a_sender_or_a_server(
    make_user: Any, new_case: NewCase, settings: Any
) -> None:
    settings.MAIL_FROM, settings.SMTP_URL = "", ""
    marco = make_user("agent", username="marco", email="marco@desk.example")
    case_id = uuid.UUID(new_case()["id"])
    notify_users(
        kind="assigned", recipients=[marco.pk], case_id=case_id, actor_id=None, message="x"
    )
    assert [n.kind for n in told(marco)] == ["assigned"]
    assert NotificationEmail.objects.count() == 0


def test_notify_users_costs_one_query_and_one_insert_for_many_recipients(
    make_user: Any, new_case: NewCase
) -> None:
    users = [make_user("agent") for _ in range(8)]
    case_id = uuid.UUID(new_case()["id"])
    with CaptureQueriesContext(connection) as queries:
        notify_users(
            kind="mention",
            recipients=[u.pk for u in users] * 2,
            case_id=case_id,
            actor_id=users[0].pk,
            message="mentioned",
        )
    assert len(queries) == 2, [q["sql"] for q in queries]
    assert Notification.objects.count() == 7


def _route_set(manager_api: Api, team_id: Any) -> None:
    body = {
        "name": "To the team",
        "items": [
            {
                "name": "All",
                "conditions": [{"field": "title", "op": "contains", "value": "router"}],
                "route_to": {"owner": {"type": "team", "id": str(team_id)}},
            }
        ],
    }
    rule_set = manager_api.post("/api/v1/routing-rule-sets", body)
    assert rule_set.status_code == 201, rule_set.content
    activated = manager_api.post(f"/api/v1/routing-rule-sets/{rule_set.json()['id']}/activate")
    assert activated.status_code == 200, activated.content


def test_bulk_routing_tells_team_members_and_followers_at_a_constant_number_of_queries(
    manager_api: Api, make_user: Any, new_case: NewCase
) -> None:
    marco = make_user("agent", username="marco", teams=["Tier 1"])
    lucia = make_user("agent", username="lucia", teams=["Tier 1"])
    watcher = make_user("agent", username="watcher")
    _route_set(manager_api, marco.teams.get().pk)
    two = [new_case() for _ in range(2)]
    ten = [new_case() for _ in range(10)]
    for case in two + ten:
        case_follow(actor=watcher, case_id=uuid.UUID(case["id"]))
    counts = []
    for cases in (two, ten):
        with CaptureQueriesContext(connection) as queries:
            response = manager_api.post(
                "/api/v1/cases/route", {"case_ids": [c["id"] for c in cases]}
            )
        assert response.status_code == 200, response.content
        assert all(r["routed"] for r in response.json()["results"]), response.content
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert len(told(marco, "assigned")) == len(told(lucia, "assigned")) == 12
    assert len(told(watcher, "followed_case_changed")) == 12


def test_old_read_notifications_and_finished_emails_are_forgotten(
    make_user: Any, new_case: NewCase, settings: Any, fake_clock: Any
) -> None:
    from casedesk.notifications.services.prune import notifications_prune

    settings.MAIL_FROM, settings.SMTP_URL = "desk@desk.example", "smtp://127.0.0.1:1"
    marco = make_user("agent", username="marco", email="marco@desk.example")
    case_id = uuid.UUID(new_case()["id"])
    for kind in ("assigned", "mention"):
        notify_users(kind=kind, recipients=[marco.pk], case_id=case_id, actor_id=None, message="x")
    Notification.objects.filter(kind="assigned").update(read_at=fake_clock.now())
    NotificationEmail.objects.update(state="sent")
    fake_clock.advance(29 * 86400)
    assert notifications_prune() == (0, 0)

    fake_clock.advance(2 * 86400)
    assert notifications_prune() == (0, 1)  # the e-mail; the read notification is kept longer
    fake_clock.advance(150 * 86400)
    assert notifications_prune() == (1, 0)
    assert [n.kind for n in told(marco)] == ["mention"]  # unread: kept until read
