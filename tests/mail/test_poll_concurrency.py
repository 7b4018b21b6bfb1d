"""Several pollers of one mailbox at once (docs/email.md#imap): each message is taken once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.mail.conftest import message
from tests.support.dovecot import ImapServer, dovecot_server
from tests.support.processes import ask_worker, fresh_database_env, race, run

pytestmark = pytest.mark.slow

WORKER = str(Path(__file__).with_name("poll_race_worker.py"))
MESSAGES = 12


@pytest.fixture
def imap() -> Iterator[ImapServer]:
    with dovecot_server() as server:
        yield server


@pytest.fixture
def env(tmp_path: Path) -> Any:
    with fresh_database_env(tmp_path, migrated=True) as environment:
        yield environment


def test_three_pollers_of_one_mailbox_take_each_message_once(
    tmp_path: Path, env: dict[str, str], imap: ImapServer
) -> None:
    imap.deliver(
        *(
            message(sender=f"c{n}@customer.example", message_id=f"m{n}@customer.example")
            for n in range(MESSAGES)
        )
    )
    settings = {"host": imap.host, "port": imap.port, "username": imap.username}
    setup = ask_worker(
        WORKER, env, {"do": "setup", "imap": {**settings, "password": imap.password}}
    )
    results = race(tmp_path, env, WORKER, [{"do": "poll", "mailbox": setup["mailbox"]}] * 3)
    lines = Counter(
        "ignored: duplicate" if line == "ignored: duplicate" else line.split()[1]
        for result in results
        for line in result["lines"]
    )
    assert lines["new"] == MESSAGES, lines
    assert set(lines) <= {"new", "ignored: duplicate"}, lines
    state = ask_worker(WORKER, env, {"do": "state"})
    assert state == {"cases": MESSAGES, "emails": MESSAGES, "messages": MESSAGES}
    assert imap.unseen() == []
    assert run(env, "check").returncode == 0
