from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

CORPUS = Path(__file__).resolve().parent / "corpus"


@pytest.fixture(autouse=True)
def _own_storage(isolated_storage: object) -> None:
    """Every test here may write files: each in its own folder."""


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


@pytest.fixture
def mailbox(admin: Any) -> Any:
    from casedesk.mail.services.mailboxes import mailbox_create

    return mailbox_create(actor=admin, name="Support", address="support@desk.example")


def message(
    *,
    sender: str = "Carla Gialli <carla@customer.example>",
    subject: str = "Help",
    message_id: str = "m1@customer.example",
    body: str = "Please help.",
    headers: dict[str, str] | None = None,
) -> bytes:
    lines = [
        f"From: {sender}",
        "To: support@desk.example",
        f"Subject: {subject}",
        f"Message-ID: <{message_id}>",
        "Date: Mon, 07 Dec 2026 09:00:00 +0000",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
    ]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n" + body + "\r\n").encode()
