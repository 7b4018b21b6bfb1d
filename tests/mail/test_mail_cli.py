"""`casedesk mail receive` as a mail server's pipe runs it, and `casedesk backup`/`restore`
carrying the attachments' files (docs/email.md, docs/operations.md)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.mail.conftest import corpus, message
from tests.support.processes import CASEDESK, fresh_database_env, run

pytestmark = pytest.mark.slow

SETUP = """
from casedesk.directory.access import SYSTEM
from casedesk.directory.services import user_create
from casedesk.mail.services.mailboxes import mailbox_create
admin = user_create(actor=SYSTEM, username="ops", password="a-long-enough-pass-1", role="admin")
mailbox_create(actor=admin, name="Support", address="support@desk.example")
"""


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    with fresh_database_env(tmp_path_factory.mktemp("mail-cli"), migrated=True) as environment:
        run(environment, "shell", "-c", SETUP)
        yield environment


def pipe(env: dict[str, str], raw: bytes, mailbox: str = "support@desk.example") -> Any:
    return subprocess.run(
        [CASEDESK, "mail", "receive", mailbox],
        env=env,
        input=raw,
        capture_output=True,
        timeout=120,
        check=False,
    )


def test_the_pipe_prints_the_outcome_and_exits_zero(env: dict[str, str]) -> None:
    first = pipe(env, corpus("apple_mail_encoded_name.eml"))
    assert first.returncode == 0, first.stderr
    ticket, outcome = first.stdout.decode().split()
    assert ticket.startswith("CAS-") and outcome == "new"
    again = pipe(env, corpus("apple_mail_encoded_name.eml"))
    assert (again.returncode, again.stdout.decode().strip()) == (0, "ignored: duplicate")
    reply = message(subject=f"Re: [{ticket}]", message_id="reply-1@mac.example")
    assert pipe(env, reply).stdout.decode().strip() == f"{ticket} appended"


def test_an_unknown_mailbox_or_no_message_fails_in_one_line(env: dict[str, str]) -> None:
    unknown = pipe(env, message(), mailbox="nobody@desk.example")
    assert unknown.returncode == 1
    assert unknown.stderr.decode().strip().splitlines() == [
        "casedesk mail: No mailbox nobody@desk.example."
    ]
    empty = pipe(env, b"")
    assert empty.returncode == 1 and len(empty.stderr.decode().strip().splitlines()) == 1


def test_backup_and_restore_carry_the_attachments_files(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert pipe(env, corpus("no_text_part.eml")).returncode == 0
    target = tmp_path / "casedesk.backup"
    out = run(env, "backup", str(target))
    assert "attachments written to" in out.stdout
    assert (tmp_path / "casedesk.backup.files.tar").is_file()
    later = message(subject="After the backup", message_id="later@customer.example")
    assert pipe(env, later).returncode == 0
    files = Path(env["CASEDESK_DATA_DIR"]) / "files" / "attachments"
    for stored in files.rglob("*"):
        if stored.is_file():
            stored.unlink()  # the disk of the files was lost
    assert run(env, "check", check=False).returncode == 1
    restored = run(env, "restore", "--force", str(target))
    assert "attachment file(s) restored" in restored.stdout
    assert run(env, "check").returncode == 0, "files and records match again"
