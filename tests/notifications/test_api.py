"""The notifications API (docs/notifications.md#api): the caller's own list, newest first with
the unread count, each text in the caller's language; marking read; the choices; following."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from casedesk.directory.access import SYSTEM
from casedesk.directory.services import user_update
from casedesk.notifications.models import Notification
from casedesk.notifications.services.notify import notify_users
from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db
NewCase = Callable[..., dict[str, Any]]


def _tell(user: Any, case: dict[str, Any], n: int = 1, actor: Any = None) -> None:
    for _ in range(n):
        notify_users(
            kind="assigned",
            recipients=[user.pk],
            case_id=uuid.UUID(case["id"]),
            actor_id=actor.pk if actor else None,
            message="assigned_to_you",
        )


def test_the_list_is_the_callers_newest_first_with_the_unread_count(
    agent: Any, agent_api: Api, manager: Any, new_case: NewCase, fake_clock: Any
) -> None:
    case = new_case()
    _tell(agent, case, actor=manager)
    fake_clock.advance(60)
    _tell(agent, case)
    _tell(manager, case)

    body = agent_api.get("/api/v1/notifications").json()

    assert body["unread"] == 2 and body["next"] is None
    assert [i["text"] for i in body["items"]] == [
        f"casedesk assigned {case['ticket_number']} “Router down” to you",
        f"Marco Manager assigned {case['ticket_number']} “Router down” to you",
    ]
    first = body["items"][0]
    assert set(first) == {"id", "kind", "case_id", "text", "created_at", "read_at"}
    assert (first["kind"], first["case_id"], first["read_at"]) == ("assigned", case["id"], None)


def test_the_text_is_in_the_callers_language(
    agent: Any, agent_api: Api, manager: Any, new_case: NewCase
) -> None:
    user_update(actor=SYSTEM, user_id=agent.pk, changes={"language": "it"})
    case = new_case()
    _tell(agent, case, actor=manager)
    [item] = agent_api.get("/api/v1/notifications").json()["items"]
    assert item["text"] == f"Marco Manager ti ha assegnato {case['ticket_number']} “Router down”"


def test_marking_one_read_and_all_read(agent: Any, agent_api: Api, new_case: NewCase) -> None:
    _tell(agent, new_case(), n=3)
    items = agent_api.get("/api/v1/notifications").json()["items"]

    read = agent_api.post(f"/api/v1/notifications/{items[0]['id']}/read")
    assert read.status_code == 200, read.content
    assert read.json()["read_at"] is not None
    unread = agent_api.get("/api/v1/notifications", unread="true").json()
    assert (unread["unread"], len(unread["items"])) == (2, 2)

    all_read = agent_api.post("/api/v1/notifications/read-all")
    assert all_read.json() == {"marked": 2, "unread": 0}
    assert agent_api.get("/api/v1/notifications").json()["unread"] == 0


def test_another_users_notification_is_not_found(
    manager: Any, agent_api: Api, new_case: NewCase
) -> None:
    _tell(manager, new_case())
    theirs = Notification.objects.get(recipient_id=manager.pk)
    assert_error(agent_api.post(f"/api/v1/notifications/{theirs.pk}/read"), 404, "not_found")
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_the_settings_have_defaults_and_take_changes(agent_api: Api) -> None:
    got = agent_api.get("/api/v1/users/me/notification-settings").json()
    assert got == {
        "assigned": {"in_app": True, "email": True},
        "email_received": {"in_app": True, "email": False},
        "sla_warning": {"in_app": True, "email": False},
        "sla_failure": {"in_app": True, "email": True},
        "mention": {"in_app": True, "email": False},
        "followed_case_changed": {"in_app": True, "email": False},
    }
    put = agent_api.put(
        "/api/v1/users/me/notification-settings",
        {"mention": {"email": True}, "assigned": {"in_app": False, "email": False}},
    )
    assert put.status_code == 200, put.content
    assert put.json()["mention"] == {"in_app": True, "email": True}
    assert put.json()["assigned"] == {"in_app": False, "email": False}
    again = agent_api.get("/api/v1/users/me/notification-settings").json()
    assert again == put.json()


@pytest.mark.parametrize(
    "body",
    [
        {"birthday": {"in_app": True}},
        {"mention": {"sms": True}},
        {"mention": {"email": "yes"}},
        {"mention": True},
        [],
    ],
)
def test_bad_settings_are_a_validation_error(agent_api: Api, body: Any) -> None:
    response = agent_api.put("/api/v1/users/me/notification-settings", body)
    assert_error(response, 422, "validation_error")


def test_following_and_unfollowing_a_case(agent_api: Api, new_case: NewCase) -> None:
    case = new_case()
    path = f"/api/v1/cases/{case['id']}/follow"
    assert agent_api.get(path).json() == {"case_id": case["id"], "following": False}
    assert agent_api.post(path).json()["following"] is True
    assert agent_api.post(path).status_code == 200  # again: no change
    assert agent_api.get(path).json()["following"] is True
    assert agent_api.delete(path).json()["following"] is False
    assert agent_api.get(path).json()["following"] is False


def test_following_no_such_case_is_not_found(agent_api: Api) -> None:
    assert_error(agent_api.post(f"/api/v1/cases/{uuid.uuid4()}/follow"), 404, "not_found")


def test_anonymous_callers_are_refused(anon_api: Api) -> None:
    assert_error(anon_api.get("/api/v1/notifications"), 401, "unauthenticated")
