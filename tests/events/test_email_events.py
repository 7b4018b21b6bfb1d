"""E-mail events (docs/webhooks.md#events): `email.received` for every received e-mail and
`email.sent` / `email.failed` when an e-mail is recorded sent or failed, each in the
transaction that records it, never with a body."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from casedesk.cases.models import Activity, Case
from casedesk.directory.access import SYSTEM
from casedesk.events.models import Delivery, Event
from casedesk.events.services import webhook_create
from casedesk.mail.models import InboundMessage
from casedesk.mail.services import receive
from casedesk.mail.services.receive import mail_receive
from casedesk.mail.services.send import email_deliver, email_reports_record, email_send
from tests.mail.conftest import message
from tests.support.smtp import SmtpServer, smtp_server

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_storage(isolated_storage: object) -> None:
    """Receiving and sending keep files: each test in its own folder."""


@pytest.fixture
def mailbox(admin: Any) -> Any:
    from casedesk.mail.services.mailboxes import mailbox_create

    return mailbox_create(actor=admin, name="Support", address="support@desk.example")


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpServer]:
    for server in smtp_server():
        settings.SMTP_URL = server.url
        yield server


def email_events(kind: str) -> list[dict[str, Any]]:
    return [e.data["email"] for e in Event.objects.filter(type=kind).order_by("id")]


def test_a_received_email_is_an_email_received_event_of_its_case(mailbox: Any) -> None:
    webhook_create(
        actor=SYSTEM,
        url="https://crm.example/hook",
        events=["email.received"],
        secret="a long random secret",
    )
    received = mail_receive(mailbox=mailbox, raw=message(subject="Router down", body="Secret."))

    event = Event.objects.get(type="email.received")
    assert event.case_id == received.case_id
    assert event.data == {
        "email": {
            "case_id": str(received.case_id),
            "activity_id": str(received.activity_id),
            "message_id": "m1@customer.example",
            "from": "carla@customer.example",
            "to": ["support@desk.example"],
            "cc": [],
            "subject": "Router down",
            "status": "new",
            "error": "",
        }
    }
    assert "Secret." not in str(event.data)  # never the body
    assert Delivery.objects.filter(event_id=event.pk).count() == 1
    # The case's own events come first, in the same transaction.
    types = list(
        Event.objects.filter(case_id=received.case_id).order_by("id").values_list("type", flat=True)
    )
    assert types[-1] == "email.received"
    assert "case.created" in types


def test_an_ignored_email_is_an_email_received_event_without_a_case(mailbox: Any) -> None:
    mail_receive(mailbox=mailbox, raw=message(sender="support@desk.example"))

    (event,) = email_events("email.received")
    assert (event["case_id"], event["activity_id"], event["status"], event["error"]) == (
        None,
        None,
        "ignored",
        "loop",
    )


def test_a_rolled_back_receive_leaves_no_event(
    mailbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the attachments store is broken")

    # Fails after the message was recorded (and its event written) in the transaction.
    real = receive.inbound_record

    def record_then_fail(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        broken()

    monkeypatch.setattr(receive, "inbound_record", record_then_fail)
    with pytest.raises(RuntimeError):
        mail_receive(mailbox=mailbox, raw=message())

    assert InboundMessage.objects.count() == 0
    assert Case.objects.count() == 0
    assert Event.objects.count() == 0


def _case(mailbox: Any) -> Case:
    received = mail_receive(mailbox=mailbox, raw=message(subject="Router down"))
    return Case.objects.get(id=received.case_id)


def test_a_sent_email_is_an_email_sent_event(smtp: SmtpServer, mailbox: Any, admin: Any) -> None:
    case = _case(mailbox)
    email = email_send(actor=admin, case_id=case.pk, text="Restart it, please.")
    assert email_events("email.sent") == []  # queued is not sent

    assert email_deliver(email.pk).outcome == "sent"
    assert email_deliver(email.pk).outcome == "skipped"

    email.refresh_from_db()
    (event,) = email_events("email.sent")
    assert event == {
        "case_id": str(case.pk),
        "activity_id": str(email.pk),
        "message_id": email.email_message_id,
        "from": "support@desk.example",
        "to": ["carla@customer.example"],
        "cc": [],
        "subject": email.subject,
        "status": "sent",
        "error": "",
    }
    assert "Restart it" not in str(event)


def test_a_refused_email_is_an_email_failed_event_with_the_servers_answer(
    smtp: SmtpServer, mailbox: Any, admin: Any
) -> None:
    case = _case(mailbox)
    smtp.handler.answers = ["550 5.7.1 Message rejected as spam"]
    email = email_send(actor=admin, case_id=case.pk, text="Restart it, please.")

    assert email_deliver(email.pk).outcome == "failed"

    (event,) = email_events("email.failed")
    assert (event["activity_id"], event["status"], event["error"]) == (
        str(email.pk),
        "failed",
        "550 5.7.1 Message rejected as spam",
    )
    assert email_events("email.sent") == []


def test_a_temporary_refusal_is_no_event_until_the_email_is_sent(
    smtp: SmtpServer, mailbox: Any, admin: Any
) -> None:
    case = _case(mailbox)
    smtp.handler.answers = ["451 4.7.1 Try again later"]
    email = email_send(actor=admin, case_id=case.pk, text="Restart it, please.")

    assert email_deliver(email.pk).outcome == "retry"
    assert email_events("email.sent") == email_events("email.failed") == []


def test_a_delivery_report_after_sending_is_an_email_failed_event_once(
    smtp: SmtpServer, mailbox: Any, admin: Any
) -> None:
    case = _case(mailbox)
    email = email_send(actor=admin, case_id=case.pk, text="Restart it, please.")
    email_deliver(email.pk)
    ids = [str(Activity.objects.get(pk=email.pk).email_message_id)]

    assert email_reports_record(message_ids=ids, error="550 5.1.1 No such user") == 1
    assert email_reports_record(message_ids=ids, error="again") == 0

    assert len(email_events("email.sent")) == 1
    (failed,) = email_events("email.failed")
    assert failed["error"] == "550 5.1.1 No such user"
