"""Receiving a message (docs/email.md#what-happens-to-a-message): threading, reopening,
contacts, loops and junk, the sender limit, duplicates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import override_settings

from casedesk.attachments.models import Attachment
from casedesk.cases.models import Activity, Case, Connection
from casedesk.cases.services.lifecycle import case_cancel, case_resolve
from casedesk.cases.services.merge import case_merge
from casedesk.customers.models import Contact
from casedesk.directory.access import SYSTEM
from casedesk.mail.models import InboundMessage
from casedesk.mail.services.receive import mail_receive
from tests.mail.conftest import corpus, message

pytestmark = pytest.mark.django_db


def test_a_new_message_opens_a_case_for_a_new_contact(mailbox: Any, admin: Any) -> None:
    received = mail_receive(mailbox=mailbox, raw=message(subject="Router down"))

    assert received.outcome == "new"
    assert received.line == f"{received.ticket_number} new"
    case = Case.objects.get(id=received.case_id)
    assert (case.title, case.origin, case.description) == ("Router down", "email", "Please help.")
    assert case.owner_user_id == admin.pk
    contact = Contact.objects.get(id=case.customer_contact_id)
    assert (contact.first_name, contact.last_name, contact.email) == (
        "Carla",
        "Gialli",
        "carla@customer.example",
    )
    email = Activity.objects.get(id=received.activity_id)
    assert (email.type, email.direction, email.state, email.email_status) == (
        "email",
        "incoming",
        "completed",
        "received",
    )
    assert email.email_message_id == "m1@customer.example"
    assert email.email_from == "carla@customer.example"
    assert email.email_to == ["support@desk.example"]


def test_a_known_sender_is_the_existing_contact(mailbox: Any, admin: Any) -> None:
    from casedesk.customers.services import contact_create

    known = contact_create(actor=admin, last_name="Gialli", email="Carla@Customer.example")
    received = mail_receive(mailbox=mailbox, raw=message())
    assert Case.objects.get(id=received.case_id).customer_contact_id == known.pk
    assert Contact.objects.count() == 1


def test_a_message_without_subject_opens_a_case_titled_no_subject(mailbox: Any) -> None:
    received = mail_receive(mailbox=mailbox, raw=message(subject=""))
    assert Case.objects.get(id=received.case_id).title == "(no subject)"


def test_a_reply_naming_a_message_of_a_case_is_appended(mailbox: Any) -> None:
    first = mail_receive(mailbox=mailbox, raw=message())
    reply = message(
        subject="Re: something else",
        message_id="m2@customer.example",
        headers={"In-Reply-To": "<m1@customer.example>"},
    )
    received = mail_receive(mailbox=mailbox, raw=reply)
    assert (received.outcome, received.case_id) == ("appended", first.case_id)
    assert Activity.objects.filter(case_id=first.case_id, type="email").count() == 2


def test_references_thread_a_reply_without_in_reply_to(mailbox: Any) -> None:
    first = mail_receive(mailbox=mailbox, raw=message())
    reply = message(
        message_id="m2@customer.example",
        headers={"References": "<unknown@x.example> <m1@customer.example>"},
    )
    assert mail_receive(mailbox=mailbox, raw=reply).case_id == first.case_id


def test_a_ticket_number_in_the_subject_threads_the_message(mailbox: Any) -> None:
    first = mail_receive(mailbox=mailbox, raw=message())
    again = message(subject=f"Re: Help [{first.ticket_number}]", message_id="m3@other.example")
    received = mail_receive(mailbox=mailbox, raw=again)
    assert (received.outcome, received.case_id) == ("appended", first.case_id)


def test_the_same_message_twice_is_ignored_as_a_duplicate(mailbox: Any) -> None:
    mail_receive(mailbox=mailbox, raw=message())
    received = mail_receive(mailbox=mailbox, raw=message())
    assert received.line == "ignored: duplicate"
    assert Case.objects.count() == 1
    assert InboundMessage.objects.count() == 1


def test_a_message_without_message_id_is_taken_once(mailbox: Any) -> None:
    raw = message().replace(b"Message-ID: <m1@customer.example>\r\n", b"")
    assert mail_receive(mailbox=mailbox, raw=raw).outcome == "new"
    assert mail_receive(mailbox=mailbox, raw=raw).line == "ignored: duplicate"


def _resolve(case_id: Any) -> None:
    case_resolve(actor=SYSTEM, case_id=case_id, resolution="Fixed.")


def test_a_reply_to_a_recently_resolved_case_reopens_it(mailbox: Any) -> None:
    first = mail_receive(mailbox=mailbox, raw=message())
    _resolve(first.case_id)
    reply = message(
        message_id="m2@customer.example", headers={"In-Reply-To": "<m1@customer.example>"}
    )
    received = mail_receive(mailbox=mailbox, raw=reply)
    assert (received.outcome, received.case_id) == ("reopened", first.case_id)
    assert received.line.endswith(" reopened")
    assert Case.objects.get(id=first.case_id).state == "active"


def test_a_reply_to_a_case_resolved_long_ago_opens_a_connected_case(mailbox: Any) -> None:
    first = mail_receive(mailbox=mailbox, raw=message())
    _resolve(first.case_id)
    Case.objects.filter(id=first.case_id).update(
        resolved_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=mailbox.reopen_days + 1)
    )
    reply = message(
        message_id="m2@customer.example", headers={"In-Reply-To": "<m1@customer.example>"}
    )
    received = mail_receive(mailbox=mailbox, raw=reply)
    assert received.outcome == "new" and received.case_id != first.case_id
    assert Case.objects.get(id=first.case_id).state == "resolved"
    assert Connection.objects.filter(case_id=received.case_id, other_id=first.case_id).exists()


def test_a_reply_to_a_cancelled_case_opens_a_new_case(mailbox: Any) -> None:
    first = mail_receive(mailbox=mailbox, raw=message())
    case_cancel(actor=SYSTEM, case_id=first.case_id)
    reply = message(
        message_id="m2@customer.example", headers={"In-Reply-To": "<m1@customer.example>"}
    )
    received = mail_receive(mailbox=mailbox, raw=reply)
    assert received.outcome == "new" and received.case_id != first.case_id


def test_mail_for_a_merged_case_goes_to_its_master(mailbox: Any) -> None:
    first = mail_receive(mailbox=mailbox, raw=message())
    master = mail_receive(mailbox=mailbox, raw=message(message_id="other@customer.example"))
    case_merge(actor=SYSTEM, case_id=first.case_id, into_id=master.case_id)
    reply = message(
        message_id="m2@customer.example", headers={"In-Reply-To": "<m1@customer.example>"}
    )
    received = mail_receive(mailbox=mailbox, raw=reply)
    assert (received.outcome, received.case_id) == ("appended", master.case_id)


def test_mail_from_the_desks_own_address_is_ignored(mailbox: Any) -> None:
    received = mail_receive(mailbox=mailbox, raw=message(sender="support@desk.example"))
    assert received.line == "ignored: loop"
    assert Case.objects.count() == 0


def test_a_bounce_is_ignored_and_marks_the_outgoing_email_failed(mailbox: Any) -> None:
    first = mail_receive(mailbox=mailbox, raw=message())
    Activity.objects.create(
        case_id=first.case_id,
        type="email",
        subject="Re: Help",
        direction="outgoing",
        state="completed",
        created_at=dt.datetime.now(dt.UTC),
        email_message_id="outgoing-1@desk.example",
        email_status="sent",
    )
    received = mail_receive(mailbox=mailbox, raw=corpus("bounce_dsn.eml"))
    assert received.line == "ignored: bounce"
    outgoing = Activity.objects.get(email_message_id="outgoing-1@desk.example")
    assert outgoing.email_status == "failed"
    assert "5.1.1" in (outgoing.email_error or "")


def test_past_twenty_new_cases_an_hour_a_sender_is_held_for_review(mailbox: Any) -> None:
    for n in range(20):
        raw = message(subject=f"Spam {n}", message_id=f"s{n}@customer.example")
        assert mail_receive(mailbox=mailbox, raw=raw).outcome == "new"
    raw = message(subject="Spam 21", message_id="s21@customer.example")
    received = mail_receive(mailbox=mailbox, raw=raw)
    assert received.line == "ignored: sender_limit"
    assert Case.objects.count() == 20
    held = InboundMessage.objects.get(message_id="s21@customer.example")
    assert held.outcome == "held" and held.source is not None
    assert held.source.content_type == "message/rfc822" and held.source.size == len(raw)


def test_a_reply_of_a_limited_sender_to_a_case_is_still_appended(mailbox: Any) -> None:
    first = mail_receive(mailbox=mailbox, raw=message())
    for n in range(20):
        mail_receive(mailbox=mailbox, raw=message(message_id=f"s{n}@customer.example"))
    reply = message(
        message_id="late@customer.example", headers={"In-Reply-To": "<m1@customer.example>"}
    )
    received = mail_receive(mailbox=mailbox, raw=reply)
    assert (received.outcome, received.case_id) == ("appended", first.case_id)


def test_an_auto_reply_is_taken_like_any_message(mailbox: Any) -> None:
    received = mail_receive(mailbox=mailbox, raw=corpus("auto_reply.eml"))
    assert received.outcome == "new"


@override_settings(MAX_UPLOAD_MB=1)
def test_a_file_over_the_limit_is_left_out_and_named_on_the_case(mailbox: Any) -> None:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = "big@customer.example"
    msg["To"] = "support@desk.example"
    msg["Subject"] = "Large files"
    msg["Message-ID"] = "<big-1@customer.example>"
    msg.set_content("Two files attached.")
    msg.add_attachment(
        b"\x00" * (2 * 1024 * 1024), maintype="application", subtype="zip", filename="huge.zip"
    )
    msg.add_attachment(b"small", maintype="text", subtype="plain", filename="small.txt")
    received = mail_receive(mailbox=mailbox, raw=msg.as_bytes())
    assert received.outcome == "new"
    files = list(
        Attachment.objects.filter(case_id=received.case_id).values_list("filename", flat=True)
    )
    assert files == ["small.txt"]
    assert "huge.zip" in Activity.objects.get(id=received.activity_id).description


def test_the_api_shows_the_email_with_its_fields_and_files(mailbox: Any, agent_api: Any) -> None:
    received = mail_receive(mailbox=mailbox, raw=corpus("gmail_alternative_attachment.eml"))
    response = agent_api.get(f"/api/v1/activities/{received.activity_id}")
    assert response.status_code == 200
    body = response.json()
    assert (body["type"], body["direction"], body["state"]) == ("email", "incoming", "completed")
    email = body["email"]
    assert email["from"] == "giulia.bianchi@gmail.com" and email["to"] == ["support@desk.example"]
    assert email["status"] == "received" and email["message_id"].endswith("@mail.gmail.com")
    assert email["subject"] == "Il router non si connette" and "<div>" in email["html"]
    files = agent_api.get(f"/api/v1/cases/{received.case_id}/attachments").json()["items"]
    assert body["attachment_ids"] == [f["id"] for f in files] and len(files) == 1
    audit = agent_api.get(f"/api/v1/cases/{received.case_id}/audit").json()["items"]
    assert [a["action"] for a in audit] == ["create", "email"]
    assert {a["channel"] for a in audit} == {"system"}
