"""Several workers delivering one e-mail at once, in separate processes
(docs/email.md#retries): the SMTP server gets it once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import ask_worker, fresh_database_env, race
from tests.support.smtp import SmtpServer, smtp_server

pytestmark = pytest.mark.slow

WORKER = str(Path(__file__).with_name("send_race_worker.py"))
WORKERS = 3


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    yield from smtp_server()


@pytest.fixture
def env(tmp_path: Path, smtp: SmtpServer) -> Any:
    with fresh_database_env(tmp_path, migrated=True) as environment:
        environment["CASEDESK_SMTP_URL"] = smtp.url
        yield environment


def test_three_workers_delivering_one_email_send_it_once(
    tmp_path: Path, env: dict[str, str], smtp: SmtpServer
) -> None:
    email = ask_worker(WORKER, env, {"do": "setup"})["email"]
    # The winner holds its SMTP conversation open a moment, so the others try meanwhile.
    smtp.handler.hold = threading.Event()
    smtp.handler.hold_seconds = 1.5

    results = race(tmp_path, env, WORKER, [{"do": "deliver", "email": email}] * WORKERS)

    assert Counter(r["outcome"] for r in results) == {"sent": 1, "skipped": WORKERS - 1}
    assert len(smtp.received) == 1
    assert ask_worker(WORKER, env, {"do": "state", "email": email}) == {
        "status": "sent",
        "attempts": 1,
    }
