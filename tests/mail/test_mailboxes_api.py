"""Mailboxes through the API (docs/email.md#mailboxes): administrators only, the password
write-only and encrypted at rest."""

from __future__ import annotations

from typing import Any

import pytest

from casedesk.mail.models import Mailbox
from casedesk.mail.secrets import secret_open
from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db

IMAP = {
    "host": "imap.example.com",
    "port": 993,
    "security": "ssl",
    "username": "support",
    "password": "s3cret-imap",
}


def test_an_administrator_creates_a_mailbox_owned_by_them_by_default(
    admin_api: Api, admin: Any
) -> None:
    response = admin_api.post(
        "/api/v1/mailboxes", {"name": "Support", "address": "Support@Desk.example", "imap": IMAP}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["address"] == "support@desk.example"
    assert body["owner"] == {"type": "user", "id": str(admin.pk), "name": admin.display_name}
    assert body["imap"]["folder"] == "INBOX" and body["imap"]["password_set"] is True
    assert "password" not in body["imap"]
    assert (body["poll_seconds"], body["reopen_days"], body["active"]) == (60, 7, True)
    assert response["ETag"] == '"1"'


def test_the_password_is_stored_encrypted_and_never_shown(admin_api: Api) -> None:
    body = admin_api.post(
        "/api/v1/mailboxes", {"name": "Support", "address": "s@desk.example", "imap": IMAP}
    ).json()
    stored = Mailbox.objects.get(id=body["id"]).imap_password
    assert "s3cret-imap" not in stored and secret_open(stored) == "s3cret-imap"
    assert "s3cret-imap" not in admin_api.get(f"/api/v1/mailboxes/{body['id']}").content.decode()
    audit = admin_api.get("/api/v1/mailboxes").content.decode()
    assert "s3cret-imap" not in audit


def test_a_patch_without_password_keeps_it(admin_api: Api) -> None:
    body = admin_api.post(
        "/api/v1/mailboxes", {"name": "Support", "address": "s@desk.example", "imap": IMAP}
    ).json()
    imap = {k: v for k, v in IMAP.items() if k != "password"} | {"folder": "Support"}
    response = admin_api.patch(
        f"/api/v1/mailboxes/{body['id']}", {"imap": imap}, headers={"If-Match": '"1"'}
    )
    assert response.status_code == 200, response.content
    assert response.json()["imap"]["folder"] == "Support" and response.json()["version"] == 2
    assert secret_open(Mailbox.objects.get(id=body["id"]).imap_password) == "s3cret-imap"


def test_a_pipe_mailbox_has_no_imap(admin_api: Api) -> None:
    body = admin_api.post("/api/v1/mailboxes", {"name": "Pipe", "address": "p@desk.example"})
    assert body.status_code == 201 and body.json()["imap"] is None


def test_imap_without_password_is_422(admin_api: Api) -> None:
    imap = {k: v for k, v in IMAP.items() if k != "password"}
    response = admin_api.post(
        "/api/v1/mailboxes", {"name": "S", "address": "s@desk.example", "imap": imap}
    )
    assert "imap.password" in assert_error(response, 422, "validation_error")["details"]["fields"]


def test_a_taken_or_bad_address_is_422(admin_api: Api) -> None:
    admin_api.post("/api/v1/mailboxes", {"name": "S", "address": "s@desk.example"})
    taken = admin_api.post("/api/v1/mailboxes", {"name": "T", "address": "S@desk.example"})
    assert "address" in assert_error(taken, 422, "validation_error")["details"]["fields"]
    bad = admin_api.post("/api/v1/mailboxes", {"name": "T", "address": "not an address"})
    assert_error(bad, 422, "validation_error")


def test_only_administrators_see_or_change_mailboxes(
    admin_api: Api, manager_api: Api, agent_api: Api
) -> None:
    body = admin_api.post("/api/v1/mailboxes", {"name": "S", "address": "s@desk.example"}).json()
    for api in (manager_api, agent_api):
        assert_error(api.get("/api/v1/mailboxes"), 403, "forbidden")
        assert_error(api.get(f"/api/v1/mailboxes/{body['id']}"), 403, "forbidden")
        assert_error(
            api.post("/api/v1/mailboxes", {"name": "X", "address": "x@desk.example"}),
            403,
            "forbidden",
        )
        assert_error(api.patch(f"/api/v1/mailboxes/{body['id']}", {"name": "Y"}), 403, "forbidden")


def test_a_stale_if_match_is_412(admin_api: Api) -> None:
    body = admin_api.post("/api/v1/mailboxes", {"name": "S", "address": "s@desk.example"}).json()
    response = admin_api.patch(
        f"/api/v1/mailboxes/{body['id']}", {"name": "T"}, headers={"If-Match": '"9"'}
    )
    assert_error(response, 412, "version_mismatch")


def test_polling_a_pipe_mailbox_is_422(admin_api: Api) -> None:
    body = admin_api.post("/api/v1/mailboxes", {"name": "S", "address": "s@desk.example"}).json()
    assert_error(admin_api.post(f"/api/v1/mailboxes/{body['id']}/poll"), 422, "validation_error")


def test_the_messages_of_a_mailbox_show_what_became_of_each(
    admin_api: Api, agent_api: Api, admin: Any
) -> None:
    from casedesk.mail.services.receive import mail_receive
    from tests.mail.conftest import message

    body = admin_api.post("/api/v1/mailboxes", {"name": "S", "address": "s@desk.example"}).json()
    mailbox = Mailbox.objects.get(id=body["id"])
    new = mail_receive(mailbox=mailbox, raw=message())
    mail_receive(mailbox=mailbox, raw=message(sender="s@desk.example", message_id="loop@x"))
    items = admin_api.get(f"/api/v1/mailboxes/{body['id']}/messages").json()["items"]
    assert [(m["outcome"], m["reason"], m["ticket_number"]) for m in items] == [
        ("ignored", "loop", None),
        ("new", "", new.ticket_number),
    ]
    assert_error(agent_api.get(f"/api/v1/mailboxes/{body['id']}/messages"), 403, "forbidden")
