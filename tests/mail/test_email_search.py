"""The case search finds a case by the subject and text of its e-mails, incoming and outgoing
(docs/search.md, docs/email.md)."""

from __future__ import annotations

from typing import Any

import pytest

from casedesk.core.invariants import run_all
from casedesk.mail.services.receive import mail_receive
from casedesk.mail.services.send import email_send
from tests.mail.conftest import message

pytestmark = pytest.mark.django_db


def found(api: Any, word: str) -> list[str]:
    response = api.get(f"/api/v1/cases?search={word}")
    assert response.status_code == 200
    return [item["id"] for item in response.json()["items"]]


def test_a_reply_appended_to_a_case_makes_the_case_findable_by_its_words(
    mailbox: Any, agent_api: Any
) -> None:
    first = mail_receive(mailbox=mailbox, raw=message(body="The router is down."))
    assert found(agent_api, "quokkaboard") == []
    reply = message(
        subject="Re: Help",
        message_id="m2@customer.example",
        body="The serial number on the quokkaboard is 12345.",
        headers={"In-Reply-To": "<m1@customer.example>"},
    )
    assert mail_receive(mailbox=mailbox, raw=reply).outcome == "appended"
    assert found(agent_api, "quokkaboard") == [str(first.case_id)]
    assert list(run_all()) == []


def test_the_subject_of_an_appended_email_is_findable(mailbox: Any, agent_api: Any) -> None:
    first = mail_receive(mailbox=mailbox, raw=message())
    reply = message(
        subject="Re: Help - fotocopiatrice Zanussi",
        message_id="m2@customer.example",
        headers={"In-Reply-To": "<m1@customer.example>"},
    )
    mail_receive(mailbox=mailbox, raw=reply)
    assert found(agent_api, "fotocopiatrici") == [str(first.case_id)]


def test_an_answer_sent_from_the_case_is_findable(mailbox: Any, admin: Any, agent_api: Any) -> None:
    first = mail_receive(mailbox=mailbox, raw=message())
    assert first.case_id is not None
    email_send(actor=admin, case_id=first.case_id, text="Please reboot the wombatron twice.")
    assert found(agent_api, "wombatron") == [str(first.case_id)]
    assert list(run_all()) == []
