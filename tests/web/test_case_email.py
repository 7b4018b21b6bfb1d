"""The case page's reply box and the e-mails in its timeline (docs/email.md#sending), in
English and Italian."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from casedesk.cases.models import Activity, Case
from casedesk.mail.services.receive import mail_receive
from casedesk.mail.services.send import email_deliver
from tests.mail.conftest import message
from tests.support.smtp import SmtpServer, smtp_server

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_storage(isolated_storage: object) -> None:
    """The reply box stores files: each test in its own folder."""


@pytest.fixture
def mailbox(admin: Any) -> Any:
    from casedesk.mail.services.mailboxes import mailbox_create

    return mailbox_create(actor=admin, name="Support", address="support@desk.example")


@pytest.fixture
def case(mailbox: Any) -> Case:
    received = mail_receive(mailbox=mailbox, raw=message(subject="Router down"))
    return Case.objects.get(id=received.case_id)


def _page(client: Client, case: Case) -> str:
    response = client.get(f"/cases/{case.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_reply_box_shows_the_defaults_it_will_use(
    web: Callable[..., Client], admin: Any, case: Case
) -> None:
    page = _page(web(admin), case)

    assert 'id="reply"' in page
    assert 'placeholder="carla@customer.example"' in page
    assert f"Re: Router down [{case.ticket_number}]" in page
    assert "From: support@desk.example" in page


def test_sending_from_the_reply_box_queues_the_email_with_its_file(
    web: Callable[..., Client], admin: Any, case: Case, settings: Any
) -> None:
    settings.SMTP_URL = ""
    client = web(admin)

    response = client.post(
        f"/cases/{case.pk}/emails/",
        {
            "to": "carla@customer.example, other@customer.example",
            "cc": "",
            "subject": "",
            "text": "Please restart the router.",
            "attachments": [SimpleUploadedFile("a.txt", b"aaa", content_type="text/plain")],
        },
    )

    assert response.status_code == 302
    email = Activity.objects.get(case_id=case.pk, direction="outgoing")
    assert email.email_to == ["carla@customer.example", "other@customer.example"]
    assert email.subject == f"Re: Router down [{case.ticket_number}]"
    assert list(email.attachments.values_list("filename", flat=True)) == ["a.txt"]
    page = _page(client, case)
    assert 'data-email-status="queued"' in page
    assert "no SMTP server is configured (CASEDESK_SMTP_URL)" in page


def test_a_bad_address_is_shown_on_the_reply_box_and_nothing_is_sent(
    web: Callable[..., Client], admin: Any, case: Case
) -> None:
    response = web(admin).post(
        f"/cases/{case.pk}/emails/", {"to": "not an address", "text": "Hello"}
    )

    assert response.status_code == 422
    assert "not an e-mail address" in response.content.decode()
    assert not Activity.objects.filter(case_id=case.pk, direction="outgoing").exists()


def test_an_agent_who_may_not_change_the_case_has_no_reply_box_and_is_refused(
    web: Callable[..., Client], agent: Any, case: Case
) -> None:
    client = web(agent)
    assert 'id="reply"' not in _page(client, case)

    response = client.post(f"/cases/{case.pk}/emails/", {"text": "Hello"})

    assert response.status_code == 403
    assert not Activity.objects.filter(case_id=case.pk, direction="outgoing").exists()


@pytest.fixture
def smtp(settings: Any) -> Any:
    for server in smtp_server():
        settings.SMTP_URL = server.url
        yield server


def test_a_failed_email_shows_the_servers_answer_in_italian(
    web: Callable[..., Client], admin: Any, case: Case, smtp: SmtpServer
) -> None:
    client = web(admin, language="it")
    smtp.handler.answers = ["550 5.1.1 Mailbox unknown"]
    client.post(f"/cases/{case.pk}/emails/", {"text": "Ciao"})
    email = Activity.objects.get(case_id=case.pk, direction="outgoing")
    email_deliver(email.pk)

    page = _page(client, case)

    assert 'data-email-status="failed"' in page
    assert "Non consegnata; il server ha risposto: 550 5.1.1 Mailbox unknown" in page
    assert "Rispondi per e-mail" in page


def test_a_file_sent_with_a_reply_is_listed_under_it_and_downloads_as_an_attachment(
    web: Callable[..., Client], admin: Any, agent: Any, case: Case, settings: Any
) -> None:
    settings.SMTP_URL = ""
    sender = web(admin)
    sender.post(
        f"/cases/{case.pk}/emails/",
        {
            "to": "carla@customer.example",
            "cc": "",
            "subject": "",
            "text": "The log you asked for.",
            "attachments": [
                SimpleUploadedFile(
                    "<b>log</b>.html", b"<script>x</script>", content_type="text/html"
                )
            ],
        },
    )
    attachment = Activity.objects.get(case_id=case.pk, direction="outgoing").attachments.get()

    page = _page(web(agent), case)  # any user who reads the case
    assert f'href="/attachments/{attachment.pk}/"' in page
    assert attachment.filename.endswith(".html")
    assert "<b>" not in page.split(f'href="/attachments/{attachment.pk}/"', 1)[1][:200]

    response = web(agent).get(f"/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == b"<script>x</script>"


def test_a_file_that_does_not_exist_is_the_web_404(web: Callable[..., Client], agent: Any) -> None:
    response = web(agent).get("/attachments/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404


def test_a_note_takes_files_from_the_case_page(
    web: Callable[..., Client], admin: Any, case: Case
) -> None:
    from casedesk.cases.models import Note

    client = web(admin)
    response = client.post(
        f"/cases/{case.pk}/notes/",
        {
            "text": "The customer's screenshot.",
            "attachments": [
                SimpleUploadedFile("screen.png", b"\x89PNG...", content_type="image/png")
            ],
        },
    )

    assert response.status_code == 302
    note = Note.objects.get(case_id=case.pk)
    attachment = note.attachments.get()
    assert (attachment.filename, attachment.case_id) == ("screen.png", case.pk)
    assert f'href="/attachments/{attachment.pk}/"' in _page(client, case)


def test_a_note_with_a_file_over_the_limit_is_refused_and_nothing_is_kept(
    web: Callable[..., Client], admin: Any, case: Case, settings: Any
) -> None:
    from casedesk.attachments.models import Attachment
    from casedesk.cases.models import Note

    settings.MAX_UPLOAD_MB = 1
    response = web(admin).post(
        f"/cases/{case.pk}/notes/",
        {
            "text": "Too big.",
            "attachments": [SimpleUploadedFile("big.bin", b"x" * (1024 * 1024 + 1))],
        },
    )

    assert response.status_code == 413
    assert not Note.objects.filter(case_id=case.pk).exists()
    assert not Attachment.objects.filter(case_id=case.pk, note__isnull=False).exists()
