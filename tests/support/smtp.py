"""A real SMTP server for tests: aiosmtpd in a thread of the test process, on a free loopback
port, keeping what it received and answering as the test tells it
(docs/email.md#testing-with-a-real-server)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.processes import free_port


@dataclass
class Received:
    """One message the server took."""

    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Handler:
    """Answers each DATA with the next of `answers` (then `250 OK`); `hold`, when set, keeps
    the DATA answer back until it is released (or `hold_seconds` pass)."""

    received: list[Received] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    data_started: threading.Event = field(default_factory=threading.Event)
    hold: threading.Event | None = None
    hold_seconds: float = 10

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_started.set()
        if self.hold is not None:
            await asyncio.to_thread(self.hold.wait, self.hold_seconds)
        answer = self.answers.pop(0) if self.answers else "250 OK"
        if answer.startswith("250"):
            self.received.append(
                Received(
                    sender=envelope.mail_from,
                    recipients=list(envelope.rcpt_tos),
                    data=bytes(envelope.original_content or envelope.content),
                )
            )
        return answer


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: Handler

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    @property
    def received(self) -> list[Received]:
        return self.handler.received


def smtp_server(
    *, login: tuple[str, str] | None = None, tls: str | None = None, context: Any = None
) -> Iterator[SmtpServer]:
    """Start the server, yield it, stop it. With `login`, it requires that user and password
    (in plain text: loopback only). `tls`: "smtps" (TLS from the first byte) or "starttls"
    (required before mail), with the server's `context` (an `ssl.SSLContext`)."""
    handler = Handler()
    port = free_port()
    options: dict[str, Any] = {}
    if tls == "smtps":
        options["ssl_context"] = context
    elif tls == "starttls":
        options.update(tls_context=context, require_starttls=True)
    if login is not None:

        def authenticate(
            server: Any, session: Any, envelope: Any, mechanism: str, auth: Any
        ) -> Any:
            from aiosmtpd.smtp import AuthResult

            given = (auth.login.decode(), auth.password.decode())
            return AuthResult(success=given == login)

        options |= {"authenticator": authenticate, "auth_required": True, "auth_require_tls": False}
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield SmtpServer(host="127.0.0.1", port=port, handler=handler)
    finally:
        if handler.hold is not None:
            handler.hold.set()
        controller.stop()
