"""The mailbox administration pages (docs/email.md#mailboxes), in English and Italian."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from casedesk.mail.models import Mailbox
from casedesk.mail.secrets import secret_open

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Supporto",
    "address": "supporto@desk.example",
    "arrival": "imap",
    "imap_host": "imap.desk.example",
    "imap_port": "993",
    "imap_security": "ssl",
    "imap_username": "supporto",
    "imap_password": "una-password-imap",
    "imap_folder": "INBOX",
    "poll_seconds": "60",
    "reopen_days": "7",
    "active": "on",
}


def test_mailboxes_are_for_administrators_only(
    web: Callable[..., Client], manager: Any, admin: Any
) -> None:
    for path in ("/admin/mailboxes/", "/admin/mailboxes/new/"):
        assert web(manager).get(path).status_code == 403
        assert web(admin).get(path).status_code == 200


def test_an_administrator_creates_and_edits_a_mailbox_keeping_its_password(
    web: Callable[..., Client], admin: Any
) -> None:
    client = web(admin)
    response = client.post("/admin/mailboxes/new/", {**FORM, "owner": f"user:{admin.pk}"})
    assert response.status_code == 302, response.content.decode()[:2000]
    mailbox = Mailbox.objects.get()
    assert secret_open(mailbox.imap_password) == "una-password-imap"
    page = client.get(f"/admin/mailboxes/{mailbox.pk}/").content.decode()
    assert "una-password-imap" not in page and mailbox.imap_password not in page
    edited = {**FORM, "owner": f"user:{admin.pk}", "imap_password": "", "imap_folder": "Support"}
    edited["version"] = str(mailbox.version)
    assert client.post(f"/admin/mailboxes/{mailbox.pk}/", edited).status_code == 302
    mailbox.refresh_from_db()
    assert mailbox.imap_folder == "Support"
    assert secret_open(mailbox.imap_password) == "una-password-imap"


def test_imap_without_a_password_is_refused_on_its_field(
    web: Callable[..., Client], admin: Any
) -> None:
    form = {**FORM, "owner": f"user:{admin.pk}", "imap_password": ""}
    response = web(admin).post("/admin/mailboxes/new/", form)
    assert response.status_code == 422
    assert Mailbox.objects.count() == 0


def test_the_pages_speak_italian(web: Callable[..., Client], admin: Any) -> None:
    page = web(admin, language="it").get("/admin/mailboxes/new/").content.decode()
    assert "Nuova casella di posta" in page
    assert "Come arriva la posta" in page
