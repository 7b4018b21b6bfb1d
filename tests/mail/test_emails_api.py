"""`/cases/{id}/emails` (docs/email.md#sending, docs/api.md): answering by e-mail through the
API, and the case's e-mails, oldest first."""

from __future__ import annotations

from typing import Any

import pytest

from casedesk.cases.models import Activity, Case
from casedesk.mail.services.receive import mail_receive
from casedesk.mail.services.send import NOT_CONFIGURED
from tests.conftest import Api, assert_error
from tests.mail.conftest import message

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(mailbox: Any) -> Case:
    received = mail_receive(mailbox=mailbox, raw=message(subject="Router down"))
    return Case.objects.get(id=received.case_id)


def test_an_answer_is_201_with_the_queued_email_and_its_defaults(
    admin_api: Api, case: Case, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SMTP_URL = ""
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_api.post(f"/api/v1/cases/{case.pk}/emails", {"text": "On it."})

    assert response.status_code == 201, response.content
    assert len(callbacks) == 1
    body = response.json()
    assert (body["type"], body["direction"], body["case_id"]) == ("email", "outgoing", str(case.pk))
    email = body["email"]
    assert email["status"] == "queued"
    assert email["error"] == NOT_CONFIGURED
    assert email["to"] == ["carla@customer.example"] and email["cc"] == []
    assert email["from"] == "support@desk.example"
    assert email["subject"] == f"Re: Router down [{case.ticket_number}]"
    assert email["in_reply_to"] == "m1@customer.example"
    assert email["text"] == "On it."
    assert email["sent_at"] is None
    assert body["attachment_ids"] == []
    case_body = admin_api.get(f"/api/v1/cases/{case.pk}").json()
    assert case_body["mailbox_id"] == str(case.mailbox_id)
    assert case_body["first_response_at"] is None


def test_the_case_emails_are_listed_oldest_first(admin_api: Api, case: Case) -> None:
    admin_api.post(
        f"/api/v1/cases/{case.pk}/emails",
        {"to": ["Other <other@customer.example>"], "cc": ["boss@customer.example"], "text": "1"},
    )

    response = admin_api.get(f"/api/v1/cases/{case.pk}/emails")

    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["direction"] for i in items] == ["incoming", "outgoing"]
    assert items[1]["email"]["to"] == ["other@customer.example"]
    assert items[1]["email"]["cc"] == ["boss@customer.example"]


def test_an_answer_with_files_lists_them(admin_api: Api, case: Case) -> None:
    upload = admin_api.client.post(
        "/api/v1/attachments",
        {"file": _file("log.txt", b"log")},
        headers={"Authorization": f"Bearer {admin_api.token}"},
    ).json()

    body = {"text": "See the log.", "attachment_ids": [upload["id"]]}
    response = admin_api.post(f"/api/v1/cases/{case.pk}/emails", body)

    assert response.status_code == 201, response.content
    assert response.json()["attachment_ids"] == [upload["id"]]


def _file(name: str, data: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="text/plain")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "x", "to": ["not an address"]}, "to"),
        ({"text": "x", "cc": ["a@b.example\r\nBcc: c@d.example"]}, "cc"),
        ({"text": ""}, "text"),
        ({"text": "x", "to": [f"a{i}@b.example" for i in range(51)]}, "to"),
    ],
)
def test_a_bad_answer_is_422_and_sends_nothing(
    admin_api: Api, case: Case, body: dict[str, Any], field: str
) -> None:
    response = admin_api.post(f"/api/v1/cases/{case.pk}/emails", body)

    error = assert_error(response, 422, "validation_error")
    assert field in str(error["details"])
    assert not Activity.objects.filter(case_id=case.pk, direction="outgoing").exists()


def test_another_agents_case_is_403(agent_api: Api, case: Case) -> None:
    response = agent_api.post(f"/api/v1/cases/{case.pk}/emails", {"text": "Hello"})
    assert_error(response, 403, "forbidden")
    assert not Activity.objects.filter(case_id=case.pk, direction="outgoing").exists()


def test_a_case_without_mailbox_or_mail_from_is_422(
    agent_api: Api, settings: Any, account: Any
) -> None:
    settings.MAIL_FROM = ""
    created = agent_api.post(
        "/api/v1/cases", {"title": "Phone", "customer": {"type": "account", "id": account["id"]}}
    ).json()

    response = agent_api.post(
        f"/api/v1/cases/{created['id']}/emails", {"text": "Hi", "to": ["a@b.example"]}
    )

    assert_error(response, 422, "validation_error")


def test_a_case_without_mailbox_sends_from_mail_from(
    agent_api: Api, settings: Any, account: Any
) -> None:
    settings.MAIL_FROM = "desk@desk.example"
    created = agent_api.post(
        "/api/v1/cases", {"title": "Phone", "customer": {"type": "account", "id": account["id"]}}
    ).json()

    response = agent_api.post(
        f"/api/v1/cases/{created['id']}/emails", {"text": "Hi", "to": ["a@b.example"]}
    )

    assert response.status_code == 201, response.content
    assert response.json()["email"]["from"] == "desk@desk.example"


def test_an_unknown_case_is_404(admin_api: Api) -> None:
    response = admin_api.post(
        "/api/v1/cases/00000000-0000-0000-0000-000000000000/emails", {"text": "x"}
    )
    assert_error(response, 404, "not_found")
    assert_error(
        admin_api.get("/api/v1/cases/00000000-0000-0000-0000-000000000000/emails"),
        404,
        "not_found",
    )


@pytest.fixture
def account(agent_api: Api) -> dict[str, Any]:
    return dict(agent_api.post("/api/v1/accounts", {"name": "Acme Srl"}).json())
