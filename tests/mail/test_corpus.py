"""Real-world-shaped messages through `casedesk mail receive` (docs/email.md#what-is-kept):
each becomes what its sender meant, whatever the client that wrote it."""

from __future__ import annotations

import hashlib
import io
import sys
from email.message import EmailMessage
from typing import Any

import pytest
from django.core.management import call_command

from casedesk.attachments.models import Attachment
from casedesk.cases.models import Activity, Case
from tests.mail.conftest import corpus

pytestmark = pytest.mark.django_db


def receive(
    monkeypatch: pytest.MonkeyPatch, raw: bytes, mailbox: str = "support@desk.example"
) -> str:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    out = io.StringIO()
    call_command("mail", "receive", mailbox, stdout=out)
    return out.getvalue().strip()


def _email_of(line: str) -> tuple[Case, Activity]:
    ticket, outcome = line.split()
    assert outcome == "new", line
    case = Case.objects.get(ticket_number=ticket)
    return case, Activity.objects.get(case=case, type="email")


def _files(activity: Activity) -> list[tuple[str, str, bool]]:
    return [
        (a.filename, a.content_type, a.inline)
        for a in Attachment.objects.filter(activity=activity).order_by("filename")
    ]


def test_outlook_html_with_an_inline_image(monkeypatch: Any, mailbox: Any) -> None:
    case, email = _email_of(receive(monkeypatch, corpus("outlook_html_inline_image.eml")))
    assert case.title == "Problème avec la facture"
    assert "La facture n° 4521 est erronée." in email.description
    assert email.email_from == "francois.dupre@example-client.fr"
    html = email.email_html or ""
    assert "<script" not in html and "onclick" not in html and "<style" not in html
    assert 'src="cid:image001.png@01DA2B3C.4D5E6F70"' in html
    assert _files(email) == [("image001.png", "image/png", True)]
    assert case.customer_contact is not None
    assert (case.customer_contact.first_name, case.customer_contact.last_name) == (
        "François",
        "Dupré",
    )


def test_gmail_alternative_with_an_attachment_named_in_rfc_2231(
    monkeypatch: Any, mailbox: Any
) -> None:
    _case, email = _email_of(receive(monkeypatch, corpus("gmail_alternative_attachment.eml")))
    assert email.description == (
        "Buongiorno,\nda ieri il router non si connette più. Allego il log.\n\nGiulia"
    )
    assert _files(email) == [("router log è.txt", "text/plain", False)]


def test_apple_mail_with_an_encoded_file_name(monkeypatch: Any, mailbox: Any) -> None:
    case, email = _email_of(receive(monkeypatch, corpus("apple_mail_encoded_name.eml")))
    assert case.title == "Prüfung der Rechnung"
    assert _files(email) == [("Rechnung März.pdf", "application/pdf", False)]


def test_mobile_html_only_becomes_text(monkeypatch: Any, mailbox: Any) -> None:
    case, _email = _email_of(receive(monkeypatch, corpus("mobile_html_only.eml")))
    assert case.description == "L'ordine 7781 non è arrivato.\nInviato da iPhone"
    assert case.customer_contact is not None
    assert case.customer_contact.last_name == "mario.rossi"


def test_a_forwarded_message_is_kept_as_an_eml_file(monkeypatch: Any, mailbox: Any) -> None:
    _case, email = _email_of(receive(monkeypatch, corpus("forwarded_message.eml")))
    assert email.description == "Vi inoltro la mail del cliente."
    assert _files(email) == [("Consegna in ritardo.eml", "message/rfc822", False)]
    kept = Attachment.objects.get(activity=email)
    from django.core.files.storage import default_storage

    with default_storage.open(kept.storage_name) as handle:
        assert b"Message-ID: <orig-1@shop.example>" in handle.read()


def test_an_auto_reply_opens_a_case_that_is_never_answered(monkeypatch: Any, mailbox: Any) -> None:
    case, _email = _email_of(receive(monkeypatch, corpus("auto_reply.eml")))
    assert case.title == "Fuori sede: Re: Il router non si connette"


def test_a_bounce_is_ignored(monkeypatch: Any, mailbox: Any) -> None:
    assert receive(monkeypatch, corpus("bounce_dsn.eml")) == "ignored: bounce"
    assert Case.objects.count() == 0


def test_a_message_with_no_text_part_keeps_its_file(monkeypatch: Any, mailbox: Any) -> None:
    case, email = _email_of(receive(monkeypatch, corpus("no_text_part.eml")))
    assert case.description == "" and case.title == "Scansione documento"
    assert _files(email) == [("scan0001.pdf", "application/pdf", False)]


def test_eight_bit_headers_and_an_unknown_charset_are_read(monkeypatch: Any, mailbox: Any) -> None:
    case, email = _email_of(receive(monkeypatch, corpus("eight_bit_headers_broken_charset.eml")))
    assert case.title == "Bestellung für München"
    assert email.description == "Die Bestellung für München fehlt."
    assert case.customer_contact is not None
    assert case.customer_contact.first_name == "Grün,"


def test_a_large_attachment_is_kept_whole(monkeypatch: Any, mailbox: Any) -> None:
    data = hashlib.sha256(b"seed").digest() * (20 * 1024 * 1024 // 32)  # 20 MB
    msg = EmailMessage()
    msg["From"] = "Big Sender <big@customer.example>"
    msg["To"] = "support@desk.example"
    msg["Subject"] = "Disk image"
    msg["Message-ID"] = "<large-1@customer.example>"
    msg.set_content("The image is attached.")
    msg.add_attachment(data, maintype="application", subtype="octet-stream", filename="disk.img")
    _case, email = _email_of(receive(monkeypatch, msg.as_bytes()))
    kept = Attachment.objects.get(activity=email)
    assert (kept.size, kept.sha256) == (len(data), hashlib.sha256(data).hexdigest())


def test_the_same_message_piped_twice_is_a_duplicate(monkeypatch: Any, mailbox: Any) -> None:
    receive(monkeypatch, corpus("gmail_alternative_attachment.eml"))
    assert receive(monkeypatch, corpus("gmail_alternative_attachment.eml")) == "ignored: duplicate"
    assert Attachment.objects.count() == 1
