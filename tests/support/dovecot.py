"""A throw-away Dovecot IMAP server for tests: its own folder, a free loopback port, one user
in a password file, plain-text logins (docs/email.md#testing-with-a-real-server)."""

from __future__ import annotations

import contextlib
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.processes import free_port
from tests.support.skips import require_program

DOVECOT = "/usr/sbin/dovecot"
START_SECONDS = 20


@dataclass(frozen=True)
class ImapServer:
    host: str
    port: int
    username: str
    password: str
    config: Path

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(self.username, self.password)
        return client

    def deliver(self, *messages: bytes, folder: str = "INBOX") -> None:
        """Put messages in the folder, unseen, as a mail server's delivery would."""
        client = self.client()
        try:
            for raw in messages:
                status, _data = client.append(folder, None, None, raw)
                assert status == "OK", _data
        finally:
            client.logout()

    def unseen(self, folder: str = "INBOX") -> list[int]:
        client = self.client()
        try:
            client.select(folder)
            _status, data = client.uid("search", None, "UNSEEN")
            return [int(uid) for uid in (data[0] or b"").split()]
        finally:
            client.logout()


def _config(root: Path, port: int, uid: int, gid: int) -> str:
    return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
first_valid_uid = {min(uid, 500)}
first_valid_gid = {min(gid, 500)}
default_internal_user = dovecot
default_login_user = dovenull
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
"""


def _answers(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1) as sock:
        return sock.recv(64).startswith(b"* OK")
    return False


@contextlib.contextmanager
def dovecot_server() -> Iterator[ImapServer]:
    """Start Dovecot in a folder of its own; stop it (and wait for it to go) and remove the
    folder on the way out. The folder is not under pytest's (mode 0700): Dovecot's processes
    run as the `dovecot` account and must reach it."""
    require_program("mail", DOVECOT, "dovecot-imapd")
    root = Path(tempfile.mkdtemp(prefix="casedesk-dovecot-"))
    root.chmod(0o755)
    try:
        with _running(root) as server:
            yield server
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def _running(root: Path) -> Iterator[ImapServer]:
    account = pwd.getpwnam("dovecot")
    uid, gid = account.pw_uid, account.pw_gid
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    os.chown(root / "mail", uid, gid)
    port = free_port()
    server = ImapServer("127.0.0.1", port, "support", "imap-test-password", root / "dovecot.conf")
    (root / "passwd").write_text(
        f"{server.username}:{{PLAIN}}{server.password}:{uid}:{gid}::{root}/mail/{server.username}\n"
    )
    server.config.write_text(_config(root, port, uid, gid))
    subprocess.run([DOVECOT, "-c", str(server.config)], check=True, timeout=30)
    pid_file = root / "run" / "master.pid"
    try:
        deadline = time.monotonic() + START_SECONDS
        while not _answers(port):
            if time.monotonic() > deadline:
                log = (root / "dovecot.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"dovecot did not start: {log}")
            time.sleep(0.05)
        yield server
    finally:
        pid = int(pid_file.read_text()) if pid_file.exists() else None
        subprocess.run(["doveadm", "-c", str(server.config), "stop"], check=False, timeout=30)
        deadline = time.monotonic() + START_SECONDS
        while pid is not None and time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
