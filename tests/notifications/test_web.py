"""The web UI of notifications (docs/notifications.md#web-ui): the bell on every page, the
list, marking read, the settings grid of the profile, following a case, `@` completion."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from casedesk.directory.access import SYSTEM
from casedesk.directory.services import user_update
from casedesk.notifications.models import Follow, Notification
from casedesk.notifications.selectors import notification_settings
from casedesk.notifications.services.notify import notify_users
from tests.conftest import Api

pytestmark = pytest.mark.django_db
NewCase = Callable[..., dict[str, Any]]


def web(user: Any, language: str = "en") -> Client:
    client = Client(headers={"Accept-Language": language})
    client.force_login(user)
    return client


def tell(user: Any, case: dict[str, Any], n: int = 1, actor: Any = None) -> None:
    for _ in range(n):
        notify_users(
            kind="assigned",
            recipients=[user.pk],
            case_id=uuid.UUID(case["id"]),
            actor_id=actor.pk if actor else None,
            message="assigned_to_you",
        )


def test_the_bell_shows_the_unread_count_on_every_page_with_one_count(
    agent: Any, new_case: NewCase
) -> None:
    tell(agent, new_case(), n=3)
    client = web(agent)
    for path in ("/", "/cases/", "/profile/"):
        with CaptureQueriesContext(connection) as queries:
            page = client.get(path)
        assert page.status_code == 200
        html = page.content.decode()
        assert "data-bell-count>3</span>" in html, path
        counts = [q for q in queries if 'FROM "casedesk_notifications_notification"' in q["sql"]]
        assert len(counts) == 1, path


def test_the_list_links_each_notification_to_its_case_in_the_users_language(
    agent: Any, manager: Any, new_case: NewCase
) -> None:
    user_update(actor=SYSTEM, user_id=agent.pk, changes={"language": "it"})
    case = new_case()
    tell(agent, case, actor=manager)
    page = web(agent).get("/notifications/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'href="/cases/{case["id"]}/"' in html
    assert f"Marco Manager ti ha assegnato {case['ticket_number']}" in html
    assert "Segna tutte come lette" in html


def test_opening_a_case_marks_the_viewers_notifications_about_it_read(
    agent: Any, manager: Any, new_case: NewCase
) -> None:
    opened, other = new_case(), new_case()
    tell(agent, opened, n=2)
    tell(agent, other)
    tell(manager, opened)
    page = web(agent).get(f"/cases/{opened['id']}/")
    assert page.status_code == 200
    # The bell of the page itself already counts only the other case's notification.
    assert "data-bell-count>1</span>" in page.content.decode()
    unread = Notification.objects.filter(read_at__isnull=True)
    assert list(unread.filter(recipient_id=agent.pk).values_list("case_id", flat=True)) == [
        uuid.UUID(other["id"])
    ]
    assert unread.filter(recipient_id=manager.pk).count() == 1  # another viewer's stay unread


def test_a_case_page_with_nothing_unread_asks_once_and_marks_nothing(
    agent: Any, new_case: NewCase
) -> None:
    case = new_case()
    with CaptureQueriesContext(connection) as queries:
        page = web(agent).get(f"/cases/{case['id']}/")
    assert page.status_code == 200
    assert "data-bell-count>0</span>" in page.content.decode()
    asked = [q for q in queries if 'FROM "casedesk_notifications_notification"' in q["sql"]]
    assert len(asked) == 1
    assert not [q for q in queries if q["sql"].startswith('UPDATE "casedesk_notifications')]


def test_marking_read_and_all_read_answer_with_a_redirect(agent: Any, new_case: NewCase) -> None:
    tell(agent, new_case(), n=3)
    client = web(agent)
    first = Notification.objects.filter(recipient_id=agent.pk).first()
    assert first is not None

    one = client.post(f"/notifications/{first.pk}/read/", {"next": "/notifications/?unread=1"})
    assert (one.status_code, one["Location"]) == (302, "/notifications/?unread=1")
    assert Notification.objects.filter(recipient_id=agent.pk, read_at__isnull=True).count() == 2

    every = client.post("/notifications/read-all/")
    assert (every.status_code, every["Location"]) == (302, "/notifications/")
    assert Notification.objects.filter(recipient_id=agent.pk, read_at__isnull=True).count() == 0
    assert "data-bell-count>0</span>" in client.get("/notifications/").content.decode()


def test_another_users_notification_cannot_be_marked(
    agent: Any, manager: Any, new_case: NewCase
) -> None:
    tell(manager, new_case())
    theirs = Notification.objects.get(recipient_id=manager.pk)
    assert web(agent).post(f"/notifications/{theirs.pk}/read/").status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_the_profile_grid_sets_each_kind_and_channel(agent: Any) -> None:
    client = web(agent)
    page = client.get("/profile/").content.decode()
    assert 'name="assigned.email"' in page and 'name="mention.in_app"' in page

    saved = client.post("/profile/notifications/", {"mention.in_app": "on", "mention.email": "on"})
    assert (saved.status_code, saved["Location"]) == (302, "/profile/#notifications")
    chosen = notification_settings(user=agent)
    assert chosen["mention"] == {"in_app": True, "email": True}
    assert chosen["assigned"] == {"in_app": False, "email": False}


def test_following_from_the_case_page(agent: Any, new_case: NewCase) -> None:
    case = new_case()
    client = web(agent)
    assert "data-follow>Follow<" in client.get(f"/cases/{case['id']}/").content.decode()

    follow = client.post(f"/cases/{case['id']}/follow/")
    assert (follow.status_code, follow["Location"]) == (302, f"/cases/{case['id']}/")
    assert Follow.objects.filter(user_id=agent.pk, case_id=case["id"]).exists()
    assert "data-follow>Unfollow<" in client.get(f"/cases/{case['id']}/").content.decode()

    unfollow = client.post(f"/cases/{case['id']}/unfollow/")
    assert unfollow.status_code == 302
    assert not Follow.objects.filter(user_id=agent.pk, case_id=case["id"]).exists()


def test_the_note_box_offers_user_names_to_mention(
    agent: Any, make_user: Any, new_case: NewCase
) -> None:
    make_user("agent", username="marco", full_name="Marco Rossi")
    make_user("agent", username="mara")
    gone = make_user("agent", username="marcello")
    user_update(actor=SYSTEM, user_id=gone.pk, changes={"is_active": False})
    client = web(agent)
    page = client.get(f"/cases/{new_case()['id']}/").content.decode()
    assert 'data-mention-url="/lookup/users/"' in page
    assert "casedesk/mention.js" in page

    found = client.get("/lookup/users/", {"q": "mar"}).json()["items"]
    # User names that begin with it first, then names that contain it; never an inactive user.
    assert found[:2] == [
        {"username": "mara", "name": "mara"},
        {"username": "marco", "name": "Marco Rossi"},
    ]
    assert [i["name"] for i in found[2:]] == ["Marco Manager"]
    assert Client().get("/lookup/users/", {"q": "mar"}).status_code == 401


def test_a_note_from_the_case_page_tells_the_user_it_mentions(
    agent: Any, agent_api: Api, make_user: Any, new_case: NewCase
) -> None:
    marco = make_user("agent", username="marco")
    case = new_case()
    response = web(agent).post(f"/cases/{case['id']}/notes/", {"text": "Ciao @marco, guarda"})
    assert response.status_code == 302
    assert list(
        Notification.objects.filter(recipient_id=marco.pk).values_list("kind", flat=True)
    ) == ["mention"]
