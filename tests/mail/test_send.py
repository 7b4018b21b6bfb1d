"""Sending e-mail from a case through a real SMTP server (aiosmtpd on loopback): threading
headers and files, retries, refusals, an absent server or configuration, one send however
many workers (docs/email.md#sending)."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from casedesk.attachments.services import attachment_upload
from casedesk.cases.models import Activity, Case
from casedesk.mail import outgoing
from casedesk.mail.services.receive import mail_receive
from casedesk.mail.services.send import (
    NOT_CONFIGURED,
    email_defaults,
    email_deliver,
    email_send,
    emails_due,
    last_incoming_of,
)
from casedesk.mail.tasks import email_send_due
from tests.mail.conftest import message
from tests.support.processes import free_port
from tests.support.smtp import SmtpServer, smtp_server

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpServer]:
    for server in smtp_server():
        settings.SMTP_URL = server.url
        yield server


@pytest.fixture
def case(mailbox: Any) -> Case:
    """A case opened by a customer's e-mail `m1@customer.example` to the mailbox."""
    received = mail_receive(mailbox=mailbox, raw=message(subject="Router down"))
    return Case.objects.get(id=received.case_id)


def _send(actor: Any, case: Case, **kw: Any) -> Activity:
    kw.setdefault("text", "Please restart it.")
    return email_send(actor=actor, case_id=case.pk, **kw)


def test_a_reply_reaches_the_server_threaded_with_its_file_when_sent(
    smtp: SmtpServer, case: Case, admin: Any, django_capture_on_commit_callbacks: Any
) -> None:
    upload = attachment_upload(
        actor=admin, source=b"%PDF-1.4 log", filename="log.pdf", content_type="application/pdf"
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        email = _send(admin, case, attachment_ids=[upload.pk])
    assert len(callbacks) == 1  # the delivery job is enqueued once the case commits
    assert (email.email_status, email.direction, email.email_from) == (
        "queued",
        "outgoing",
        "support@desk.example",
    )

    assert email_deliver(email.pk).outcome == "sent"

    [got] = smtp.received
    sent = got.message
    assert got.recipients == ["carla@customer.example"]
    assert sent["Subject"] == f"Re: Router down [{case.ticket_number}]"
    assert sent["To"] == "carla@customer.example"
    assert sent["Message-ID"] == f"<{email.email_message_id}>"
    assert sent["In-Reply-To"] == "<m1@customer.example>"
    assert sent["References"] == "<m1@customer.example>"
    assert sent["Reply-To"] == "support@desk.example"
    assert "support@desk.example" in sent["From"]
    assert sent["Auto-Submitted"] is None
    assert sent.get_body(preferencelist=("plain",)).get_content().strip() == "Please restart it."
    [file] = list(sent.iter_attachments())
    assert (file.get_filename(), file.get_content()) == ("log.pdf", b"%PDF-1.4 log")
    email.refresh_from_db()
    assert (email.email_status, email.email_error, email.email_attempts) == ("sent", None, 1)
    assert email.email_sent_at is not None
    case.refresh_from_db()
    assert case.first_response_at == email.email_sent_at


def test_an_email_already_sent_is_never_sent_again_when_delivered_twice(
    smtp: SmtpServer, case: Case, admin: Any
) -> None:
    email = _send(admin, case)
    assert email_deliver(email.pk).outcome == "sent"
    assert email_deliver(email.pk).outcome == "skipped"
    assert email_send_due.call() == 0
    assert len(smtp.received) == 1


def test_a_temporary_refusal_is_retried_with_back_off_until_the_server_takes_it(
    smtp: SmtpServer, case: Case, admin: Any, fake_clock: Any
) -> None:
    smtp.handler.answers = ["451 4.3.0 Try again later"]
    email = _send(admin, case)

    assert email_deliver(email.pk).outcome == "retry"
    email.refresh_from_db()
    assert email.email_status == "queued"
    assert email.email_error == "451 4.3.0 Try again later"
    assert email.email_next_attempt_at == fake_clock.at + outgoing.RETRY_SCHEDULE[0]
    assert email_deliver(email.pk).outcome == "skipped"  # not due yet
    assert emails_due() == []

    fake_clock.advance(outgoing.RETRY_SCHEDULE[0].total_seconds())
    assert emails_due() == [email.pk]
    assert email_send_due.call() == 1

    email.refresh_from_db()
    assert (email.email_status, email.email_error, email.email_attempts) == ("sent", None, 2)
    assert len(smtp.received) == 1


def test_a_permanent_refusal_fails_the_email_with_the_servers_answer(
    smtp: SmtpServer, case: Case, admin: Any, admin_api: Any
) -> None:
    smtp.handler.answers = ["550 5.7.1 Message rejected as spam"]
    email = _send(admin, case)

    assert email_deliver(email.pk).outcome == "failed"

    email.refresh_from_db()
    assert (email.email_status, email.email_error) == (
        "failed",
        "550 5.7.1 Message rejected as spam",
    )
    assert email.email_next_attempt_at is None
    assert email_deliver(email.pk).outcome == "skipped"
    case.refresh_from_db()
    assert case.first_response_at is None
    shown = admin_api.get(f"/api/v1/cases/{case.pk}/emails").json()["items"][-1]["email"]
    assert (shown["status"], shown["error"]) == ("failed", "550 5.7.1 Message rejected as spam")


def test_a_server_that_is_down_leaves_the_email_queued_and_it_is_sent_later(
    settings: Any, case: Case, admin: Any, fake_clock: Any
) -> None:
    settings.SMTP_URL = f"smtp://127.0.0.1:{free_port()}"  # nothing listens there
    email = _send(admin, case)

    assert email_deliver(email.pk).outcome == "retry"
    email.refresh_from_db()
    assert email.email_status == "queued"
    assert "ConnectionRefusedError" in (email.email_error or "")

    for server in smtp_server():
        settings.SMTP_URL = server.url
        fake_clock.advance(outgoing.RETRY_SCHEDULE[0].total_seconds())
        assert email_deliver(email.pk).outcome == "sent"
        assert len(server.received) == 1


def test_retries_spent_fail_the_email_with_the_last_error(
    settings: Any, case: Case, admin: Any, fake_clock: Any
) -> None:
    settings.SMTP_URL = f"smtp://127.0.0.1:{free_port()}"
    email = _send(admin, case)

    for wait in (*outgoing.RETRY_SCHEDULE, dt.timedelta(0)):
        assert email_deliver(email.pk).outcome in ("retry", "failed")
        fake_clock.advance(wait.total_seconds())

    email.refresh_from_db()
    assert email.email_status == "failed"
    assert email.email_attempts == len(outgoing.RETRY_SCHEDULE) + 1
    assert (email.email_error or "").startswith(f"Gave up after {email.email_attempts} attempts")


def test_without_an_smtp_url_the_email_stays_queued_and_says_why(
    settings: Any, case: Case, admin: Any, admin_api: Any
) -> None:
    settings.SMTP_URL = ""
    email = _send(admin, case)

    assert email_deliver(email.pk).outcome == "not_configured"

    email.refresh_from_db()
    assert (email.email_status, email.email_error, email.email_attempts) == (
        "queued",
        NOT_CONFIGURED,
        0,
    )
    shown = admin_api.get(f"/api/v1/cases/{case.pk}/emails").json()["items"][-1]["email"]
    assert (shown["status"], shown["error"]) == ("queued", NOT_CONFIGURED)


@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_one_email_send_it_once(smtp: SmtpServer, mailbox: Any) -> None:
    from casedesk.directory.models import User

    admin = User.objects.get(id=mailbox.created_by_id)
    received = mail_receive(mailbox=mailbox, raw=message())
    email = email_send(actor=admin, case_id=received.case_id, text="Once.")
    smtp.handler.hold = threading.Event()
    outcomes: list[str] = []

    def worker() -> None:
        from django.db import connection

        try:
            outcomes.append(email_deliver(email.pk).outcome)
        finally:
            connection.close()

    first = threading.Thread(target=worker)
    first.start()
    # The first worker is in the middle of the SMTP conversation, holding the e-mail.
    assert smtp.handler.data_started.wait(10)
    second = email_deliver(email.pk)
    smtp.handler.hold.set()
    first.join(10)

    assert second.outcome == "skipped"
    assert outcomes == ["sent"]
    assert len(smtp.received) == 1
    email.refresh_from_db()
    assert email.email_status == "sent"


def test_an_automatic_acknowledgement_is_sent_to_a_new_cases_sender(
    smtp: SmtpServer, mailbox: Any
) -> None:
    mailbox.auto_acknowledge = True
    mailbox.save()

    received = mail_receive(mailbox=mailbox, raw=message(subject="Printer"))

    ack = Activity.objects.get(case_id=received.case_id, direction="outgoing")
    assert ack.email_automatic is True
    assert ack.email_to == ["carla@customer.example"]
    assert received.ticket_number in ack.subject
    assert received.ticket_number in ack.description
    assert email_deliver(ack.pk).outcome == "sent"
    sent = smtp.received[0].message
    assert sent["Auto-Submitted"] == "auto-replied"
    assert sent["In-Reply-To"] == "<m1@customer.example>"
    # An acknowledgement is no first response.
    assert Case.objects.get(id=received.case_id).first_response_at is None


def test_the_acknowledgement_speaks_the_sites_language(
    settings: Any, smtp: SmtpServer, mailbox: Any
) -> None:
    settings.LANGUAGE_CODE = "it"
    mailbox.auto_acknowledge = True
    mailbox.save()

    received = mail_receive(mailbox=mailbox, raw=message())

    ack = Activity.objects.get(case_id=received.case_id, direction="outgoing")
    assert ack.subject.startswith("Abbiamo ricevuto")
    assert "abbiamo ricevuto il suo messaggio" in ack.description


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"List-Id": "<news.customer.example>"},
    ],
)
def test_auto_replies_and_bulk_mail_get_no_acknowledgement(
    mailbox: Any, headers: dict[str, str]
) -> None:
    mailbox.auto_acknowledge = True
    mailbox.save()

    received = mail_receive(mailbox=mailbox, raw=message(headers=headers))

    assert received.outcome == "new"
    assert not Activity.objects.filter(case_id=received.case_id, direction="outgoing").exists()


def test_a_reply_to_an_existing_case_gets_no_acknowledgement(mailbox: Any, case: Case) -> None:
    mailbox.auto_acknowledge = True
    mailbox.save()
    reply = message(
        message_id="m2@customer.example", headers={"In-Reply-To": "<m1@customer.example>"}
    )

    assert mail_receive(mailbox=mailbox, raw=reply).outcome == "appended"

    assert not Activity.objects.filter(case_id=case.pk, direction="outgoing").exists()


def test_only_the_first_email_an_agent_sends_is_the_first_response(
    smtp: SmtpServer, case: Case, admin: Any, fake_clock: Any
) -> None:
    first = _send(admin, case)
    email_deliver(first.pk)
    first_at = Case.objects.get(id=case.pk).first_response_at
    fake_clock.advance(60)
    second = _send(admin, case, text="Anything else?")
    email_deliver(second.pk)

    assert first_at is not None
    assert Case.objects.get(id=case.pk).first_response_at == first_at


def test_a_sent_email_is_audited_on_the_case(case: Case, admin: Any, smtp: SmtpServer) -> None:
    from casedesk.core.models import AuditEntry

    before = case.version
    email = _send(admin, case)

    case.refresh_from_db()
    assert case.version == before + 1
    actions = list(AuditEntry.objects.filter(entity_id=case.pk).values_list("action", flat=True))
    assert "email" in actions
    email_deliver(email.pk)
    assert AuditEntry.objects.filter(entity_id=email.pk, action="email_sent").exists()


def test_an_unknown_case_is_not_found(admin: Any) -> None:
    from casedesk.core.errors import NotFound

    with pytest.raises(NotFound):
        email_send(actor=admin, case_id=uuid.uuid4(), text="x", to=["a@b.example"])


# A login without TLS, on loopback, on purpose.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_server_requiring_a_login_takes_the_email_from_the_urls_user(
    settings: Any, case: Case, admin: Any
) -> None:
    for server in smtp_server(login=("desk@x", "p:ss")):
        settings.SMTP_URL = f"smtp://desk%40x:p%3Ass@{server.host}:{server.port}"
        email = _send(admin, case)
        assert email_deliver(email.pk).outcome == "sent"
        assert len(server.received) == 1


def test_the_delivery_job_is_enqueued_when_the_case_commits(
    smtp: SmtpServer, case: Case, admin: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        email = _send(admin, case)

    job = DBTaskResult.objects.get(task_path="casedesk.mail.tasks.email_send_job")
    assert job.args_kwargs["args"] == [str(email.pk)]
    from casedesk.mail.tasks import email_send_job

    assert email_send_job.call(str(email.pk)) == "sent"


def test_nothing_is_enqueued_when_the_send_is_refused(
    case: Case, agent: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from casedesk.core.errors import Forbidden

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(Forbidden):
        _send(agent, case)
    assert callbacks == []


def test_files_together_over_the_limit_are_too_large_and_nothing_is_kept(
    settings: Any, case: Case, admin: Any
) -> None:
    from casedesk.attachments.models import Attachment
    from casedesk.core.errors import TooLarge

    settings.MAX_UPLOAD_MB = 1
    half = b"x" * (600 * 1024)
    ids = [
        attachment_upload(actor=admin, source=half, filename=f"{i}.bin", content_type=None).pk
        for i in range(2)
    ]

    with pytest.raises(TooLarge):
        _send(admin, case, attachment_ids=ids)

    assert not Activity.objects.filter(case_id=case.pk, direction="outgoing").exists()
    assert set(Attachment.objects.filter(id__in=ids).values_list("activity_id", flat=True)) == {
        None
    }


def test_the_send_sweep_is_a_periodic_job_every_30_seconds() -> None:
    from casedesk.jobs.schedule import periodic_all

    [send] = [p for p in periodic_all() if p.name == "mail.send"]
    assert (send.task, send.every) == (email_send_due, dt.timedelta(seconds=30))


def test_the_sweep_sends_nothing_while_no_server_is_configured(
    settings: Any, case: Case, admin: Any
) -> None:
    settings.SMTP_URL = ""
    _send(admin, case)
    assert email_send_due.call() == 0


def test_a_forwarded_message_file_is_sent_whole_as_bytes(
    smtp: SmtpServer, case: Case, admin: Any
) -> None:
    raw = b"From: a@b.example\r\nSubject: old\r\n\r\nbody\r\n"
    upload = attachment_upload(
        actor=admin, source=raw, filename="old.eml", content_type="message/rfc822"
    )
    email = _send(admin, case, attachment_ids=[upload.pk])

    assert email_deliver(email.pk).outcome == "sent"

    [file] = list(smtp.received[0].message.iter_attachments())
    assert (file.get_content_type(), file.get_filename()) == ("application/octet-stream", "old.eml")
    assert file.get_content() == raw


def test_a_file_missing_from_the_storage_is_a_failed_attempt_not_a_stuck_email(
    smtp: SmtpServer, case: Case, admin: Any
) -> None:
    from django.core.files.storage import default_storage

    upload = attachment_upload(actor=admin, source=b"x", filename="x.txt", content_type=None)
    email = _send(admin, case, attachment_ids=[upload.pk])
    default_storage.delete(upload.storage_name)

    assert email_deliver(email.pk).outcome == "retry"

    email.refresh_from_db()
    assert (email.email_status, email.email_attempts, email.email_claimed_until) == (
        "queued",
        1,
        None,
    )
    assert smtp.received == []


def test_a_delivery_report_fails_a_sent_email_with_its_text_once(
    smtp: SmtpServer, case: Case, admin: Any
) -> None:
    from casedesk.core.models import AuditEntry
    from casedesk.mail.services.send import email_reports_record

    email = _send(admin, case)
    email_deliver(email.pk)
    ids = [str(email.email_message_id), "unknown@elsewhere.example"]

    assert email_reports_record(message_ids=ids, error="550 5.1.1 No such user") == 1
    assert email_reports_record(message_ids=ids, error="again") == 0

    email.refresh_from_db()
    assert (email.email_status, email.email_error) == ("failed", "550 5.1.1 No such user")
    assert AuditEntry.objects.filter(entity_id=email.pk, action="email_failed").count() == 1


def test_the_defaults_of_an_answer_are_the_same_from_the_activities_read_already(
    mailbox: Any, case: Case
) -> None:
    """The case page passes the newest incoming e-mail it found on the timeline
    (`last_incoming_of`); the answer's defaults are those the service reads itself."""
    later = message(
        sender="Dario Blu <dario@customer.example>",
        message_id="m2@customer.example",
        headers={"In-Reply-To": "<m1@customer.example>"},
    )
    assert mail_receive(mailbox=mailbox, raw=later).outcome == "appended"
    activities = list(Activity.objects.filter(case_id=case.pk))
    newest = last_incoming_of(activities)
    assert newest is not None and newest.email_from == "dario@customer.example"
    assert email_defaults(case, newest) == email_defaults(case)
    assert last_incoming_of([a for a in activities if a.direction != "incoming"]) is None
