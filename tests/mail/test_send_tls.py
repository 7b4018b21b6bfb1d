"""Sending over TLS (docs/email.md#sending): `smtps://` speaks TLS from the first byte,
`?starttls=1` upgrades before mail; either way the server's certificate is verified, and an
untrusted one is a temporary failure that is retried, never a message sent in clear."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest

from casedesk.cases.models import Case
from casedesk.mail.services.receive import mail_receive
from casedesk.mail.services.send import email_deliver, email_send
from tests.events.test_delivery_tls import _certificate
from tests.mail.conftest import message
from tests.support.smtp import smtp_server

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(mailbox: Any) -> Case:
    received = mail_receive(mailbox=mailbox, raw=message(subject="Router down"))
    return Case.objects.get(id=received.case_id)


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, ssl.SSLContext]:
    cert, key = _certificate(tmp_path)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    return cert, server


def _trust(monkeypatch: pytest.MonkeyPatch, cert: Path) -> None:
    trusting = ssl.create_default_context(cafile=str(cert))
    monkeypatch.setattr(ssl, "create_default_context", lambda *a, **k: trusting)


@pytest.mark.parametrize(
    ("tls", "url"),
    [("smtps", "smtps://{host}:{port}"), ("starttls", "smtp://{host}:{port}?starttls=1")],
)
def test_an_email_is_sent_over_tls_to_a_trusted_server(
    tls: str,
    url: str,
    certificate: tuple[Path, ssl.SSLContext],
    case: Case,
    admin: Any,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cert, context = certificate
    _trust(monkeypatch, cert)
    for server in smtp_server(tls=tls, context=context):
        settings.SMTP_URL = url.format(host=server.host, port=server.port)
        email = email_send(actor=admin, case_id=case.pk, text="Over TLS.")

        assert email_deliver(email.pk).outcome == "sent"
        assert len(server.received) == 1


@pytest.mark.parametrize(
    ("tls", "url"),
    [("smtps", "smtps://{host}:{port}"), ("starttls", "smtp://{host}:{port}?starttls=1")],
)
def test_an_untrusted_certificate_sends_nothing_and_is_retried(
    tls: str,
    url: str,
    certificate: tuple[Path, ssl.SSLContext],
    case: Case,
    admin: Any,
    settings: Any,
) -> None:
    _cert, context = certificate
    for server in smtp_server(tls=tls, context=context):
        settings.SMTP_URL = url.format(host=server.host, port=server.port)
        email = email_send(actor=admin, case_id=case.pk, text="Not in clear.")

        outcome = email_deliver(email.pk)

        email.refresh_from_db()
        assert outcome.outcome != "sent"
        assert server.received == []
        assert email.email_status == "queued"
        assert "CERTIFICATE_VERIFY_FAILED" in email.email_error
