"""IMAP polling against a real Dovecot (docs/email.md#imap): messages taken by UID, stored,
then flagged seen, each once whatever happens between storing and flagging."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from casedesk.cases.models import Case
from casedesk.mail.models import InboundMessage
from casedesk.mail.services.mailboxes import ImapSettings, mailbox_create, mailbox_update
from casedesk.mail.services.poll import PollFailed, mailbox_poll
from casedesk.mail.services.receive import mail_receive
from tests.conftest import Api, assert_error
from tests.mail.conftest import corpus, message
from tests.support.dovecot import ImapServer, dovecot_server

pytestmark = [pytest.mark.slow, pytest.mark.django_db]


@pytest.fixture(scope="module")
def imap() -> Iterator[ImapServer]:
    with dovecot_server() as server:
        yield server


@pytest.fixture
def inbox(imap: ImapServer) -> ImapServer:
    """The server with an empty INBOX."""
    client = imap.client()
    try:
        client.select("INBOX")
        client.uid("store", "1:*", "+FLAGS", "(\\Deleted)")
        client.expunge()
    finally:
        client.logout()
    return imap


@pytest.fixture
def polled(admin: Any, inbox: ImapServer) -> Any:
    return mailbox_create(
        actor=admin,
        name="Support",
        address="support@desk.example",
        imap=ImapSettings(
            host=inbox.host,
            port=inbox.port,
            security="none",
            username=inbox.username,
            password=inbox.password,
        ),
    )


def test_a_poll_takes_each_unseen_message_and_flags_it_seen(polled: Any, inbox: ImapServer) -> None:
    inbox.deliver(
        corpus("gmail_alternative_attachment.eml"),
        corpus("outlook_html_inline_image.eml"),
        corpus("bounce_dsn.eml"),
    )
    result = mailbox_poll(mailbox_id=polled.pk)
    assert (result.fetched, result.new_cases, result.ignored) == (3, 2, 1)
    assert inbox.unseen() == []
    assert Case.objects.count() == 2
    polled.refresh_from_db()
    assert polled.imap_uidvalidity is not None and polled.last_poll_error == ""
    assert mailbox_poll(mailbox_id=polled.pk).fetched == 0


def test_a_message_stored_but_not_flagged_is_taken_once(polled: Any, inbox: ImapServer) -> None:
    raw = message(subject="Stored before a crash")
    inbox.deliver(raw)
    # A poller stored the message and died before flagging it.
    assert mail_receive(mailbox=polled, raw=raw, imap_uid=1).outcome == "new"
    result = mailbox_poll(mailbox_id=polled.pk)
    assert result.lines == ["ignored: duplicate"]
    assert inbox.unseen() == []
    assert Case.objects.count() == 1 and InboundMessage.objects.count() == 1


def test_a_wrong_password_fails_the_poll_and_is_kept_on_the_mailbox(
    polled: Any, admin: Any, inbox: ImapServer
) -> None:
    imap = ImapSettings(
        host=inbox.host, port=inbox.port, security="none", username="support", password="wrong"
    )
    mailbox_update(actor=admin, mailbox_id=polled.pk, changes={"imap": imap})
    with pytest.raises(PollFailed):
        mailbox_poll(mailbox_id=polled.pk)
    polled.refresh_from_db()
    assert "LoginError" in polled.last_poll_error or "auth" in polled.last_poll_error.lower()


def test_poll_now_through_the_api_answers_the_counts(
    polled: Any, inbox: ImapServer, admin_api: Api, agent_api: Api
) -> None:
    inbox.deliver(message(subject="One"), message(subject="Two", message_id="m2@customer.example"))
    assert_error(agent_api.post(f"/api/v1/mailboxes/{polled.pk}/poll"), 403, "forbidden")
    response = admin_api.post(f"/api/v1/mailboxes/{polled.pk}/poll")
    assert response.status_code == 200, response.content
    body = response.json()
    assert {k: body[k] for k in ("fetched", "new_cases", "appended", "reopened", "ignored")} == {
        "fetched": 2,
        "new_cases": 2,
        "appended": 0,
        "reopened": 0,
        "ignored": 0,
    }


def test_the_mail_poll_command_prints_what_it_took(
    polled: Any, inbox: ImapServer, tmp_path: Path
) -> None:
    import io

    from django.core.management import call_command

    inbox.deliver(message(subject="By command"))
    out = io.StringIO()
    call_command("mail", "poll", "support@desk.example", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("support@desk.example: CAS-") and lines[0].endswith(" new")
    assert lines[1] == "support@desk.example: 1 message(s) taken"


def test_the_periodic_job_polls_the_mailboxes_that_are_due(polled: Any, inbox: ImapServer) -> None:
    from casedesk.jobs.schedule import periodic_all
    from casedesk.mail.tasks import mail_poll_due

    assert "mail.poll" in {job.name for job in periodic_all()}
    inbox.deliver(message(subject="Periodic"))
    assert mail_poll_due.call() == 1
    inbox.deliver(message(subject="Too soon", message_id="soon@customer.example"))
    assert mail_poll_due.call() == 0, "polled less than poll_seconds ago: not due"
    assert inbox.unseen() != []
