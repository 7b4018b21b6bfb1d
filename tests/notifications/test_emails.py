"""Notification e-mails through a real SMTP server (aiosmtpd on loopback): in the recipient's
language, from `CASEDESK_MAIL_FROM`, with a link to the case; each sent once, retried after a
temporary refusal (docs/notifications.md#e-mail)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from casedesk.directory.access import SYSTEM
from casedesk.directory.services import user_update
from casedesk.notifications.models import NotificationEmail
from casedesk.notifications.services.emails import notification_email_deliver
from casedesk.notifications.tasks import notification_emails_due
from tests.conftest import Api
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.django_db
NewCase = Callable[..., dict[str, Any]]


@pytest.fixture
def marco(make_user: Any) -> Any:
    user = make_user("agent", username="marco", email="marco@desk.example", full_name="Marco")
    user_update(actor=SYSTEM, user_id=user.pk, changes={"language": "it"})
    return user


def _assign(api: Api, case: dict[str, Any], user: Any, capture: Any) -> NotificationEmail:
    with capture(execute=True) as callbacks:
        response = api.post(
            f"/api/v1/cases/{case['id']}/assign", {"owner": {"type": "user", "id": str(user.pk)}}
        )
    assert response.status_code == 200, response.content
    assert len(callbacks) >= 1  # the sending job is enqueued once the change commits
    return NotificationEmail.objects.get(recipient_id=user.pk)


def test_an_assignment_is_emailed_in_the_recipients_language_with_a_link_to_the_case(
    smtp: SmtpServer,
    marco: Any,
    agent_api: Api,
    new_case: NewCase,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.BASE_URL = "https://desk.example.com"
    case = new_case()
    email = _assign(agent_api, case, marco, django_capture_on_commit_callbacks)

    assert notification_email_deliver(email.pk) == "sent"

    [got] = smtp.received
    sent = got.message
    assert got.recipients == ["marco@desk.example"]
    assert got.sender == "desk@desk.example"
    assert "desk@desk.example" in sent["From"]
    assert sent["Subject"] == f"Anna Agente ti ha assegnato {case['ticket_number']} “Router down”"
    assert sent["Auto-Submitted"] == "auto-generated"
    body = sent.get_body(preferencelist=("plain",)).get_content()
    assert f"https://desk.example.com/cases/{case['id']}/" in body
    assert "Apri il caso" in body
    email.refresh_from_db()
    assert (email.state, email.attempts) == ("sent", 1)


def test_a_notification_email_is_sent_once(
    smtp: SmtpServer,
    marco: Any,
    agent_api: Api,
    new_case: NewCase,
    django_capture_on_commit_callbacks: Any,
) -> None:
    email = _assign(agent_api, new_case(), marco, django_capture_on_commit_callbacks)
    assert notification_email_deliver(email.pk) == "sent"
    assert notification_email_deliver(email.pk) == "skipped"
    assert notification_emails_due.call() == 0
    assert len(smtp.received) == 1


def test_a_temporary_refusal_is_retried_later_by_the_sweep(
    smtp: SmtpServer,
    marco: Any,
    agent_api: Api,
    new_case: NewCase,
    fake_clock: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    smtp.handler.answers.append("451 4.3.0 try again later")
    email = _assign(agent_api, new_case(), marco, django_capture_on_commit_callbacks)

    assert notification_email_deliver(email.pk) == "retry"
    email.refresh_from_db()
    assert (email.state, email.attempts) == ("pending", 1)
    assert "451" in email.error
    assert notification_emails_due.call() == 0  # not due yet

    fake_clock.advance(3600)
    assert notification_emails_due.call() == 1
    email.refresh_from_db()
    assert email.state == "sent"
    assert len(smtp.received) == 1


def test_a_permanent_refusal_fails_the_email(
    smtp: SmtpServer,
    marco: Any,
    agent_api: Api,
    new_case: NewCase,
    django_capture_on_commit_callbacks: Any,
) -> None:
    smtp.handler.answers.append("550 5.1.1 no such user")
    email = _assign(agent_api, new_case(), marco, django_capture_on_commit_callbacks)
    assert notification_email_deliver(email.pk) == "failed"
    email.refresh_from_db()
    assert email.state == "failed" and "550" in email.error


def test_without_a_server_an_email_stays_pending(
    marco: Any, settings: Any, new_case: NewCase
) -> None:
    settings.MAIL_FROM = "desk@desk.example"
    settings.SMTP_URL = "smtp://127.0.0.1:1"
    from casedesk.notifications.services.notify import notify_users

    notify_users(
        kind="assigned",
        recipients=[marco.pk],
        case_id=uuid.UUID(new_case()["id"]),
        actor_id=None,
        message="assigned_to_you",
    )
    email = NotificationEmail.objects.get()
    settings.SMTP_URL = ""
    assert notification_email_deliver(email.pk) == "not_configured"
    email.refresh_from_db()
    assert (email.state, email.attempts) == ("pending", 0)


@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_one_notification_email_send_it_once(
    smtp: SmtpServer, marco: Any, new_case: NewCase
) -> None:
    import threading

    from casedesk.notifications.services.notify import notify_users

    notify_users(
        kind="assigned",
        recipients=[marco.pk],
        case_id=uuid.UUID(new_case()["id"]),
        actor_id=None,
        message="assigned_to_you",
    )
    email = NotificationEmail.objects.get()
    smtp.handler.hold = threading.Event()
    outcomes: list[str] = []

    def worker() -> None:
        from django.db import connection

        try:
            outcomes.append(notification_email_deliver(email.pk))
        finally:
            connection.close()

    first = threading.Thread(target=worker)
    first.start()
    # The first worker is in the middle of the SMTP conversation, holding the e-mail.
    assert smtp.handler.data_started.wait(10)
    second = notification_email_deliver(email.pk)
    smtp.handler.hold.set()
    first.join(10)

    assert (second, outcomes) == ("skipped", ["sent"])
    assert len(smtp.received) == 1
