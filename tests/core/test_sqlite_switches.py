"""The SQLite write-lock file and the checkpoint thread are on by default and each can be
switched off from the environment (docs/operations.md, "Processes").

Each test runs a fresh process on an SQLite file of its own, as a server worker would start,
so it holds on either engine of the suite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from casedesk.core.sqlite import checkpoint

# Whether the lock file is held while a transaction is open, seen from another open file.
_WRITE_LOCK_CHILD = """
import fcntl, os
os.environ["DJANGO_SETTINGS_MODULE"] = "casedesk.settings"
import django
django.setup()
from django.db import connection, transaction
with transaction.atomic():
    connection.cursor().execute("CREATE TABLE IF NOT EXISTS t (x INTEGER)")
    fd = os.open(connection.settings_dict["NAME"] + "-writelock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        print("free")
    except BlockingIOError:
        print("held")
"""

# What a gunicorn worker does after loading the application, then whether the thread runs and
# the log size at which a new connection checkpoints by itself.
_CHECKPOINT_CHILD = """
import os
os.environ["DJANGO_SETTINGS_MODULE"] = "casedesk.settings"
import django
django.setup()
from django.db import connection
from casedesk.cli import gunicorn_config
from casedesk.core.sqlite import checkpoint
gunicorn_config.post_worker_init(None)
with connection.cursor() as cursor:
    cursor.execute("PRAGMA wal_autocheckpoint")
    pages = cursor.fetchone()[0]
print(checkpoint.running(), pages)
"""


# The child is an SQLite server worker with the switches at their defaults unless given.
_UNSET = {"DATABASE_URL", "CASEDESK_SQLITE_WRITE_LOCK", "CASEDESK_SQLITE_CHECKPOINT_THREAD"}


def _run(code: str, data_dir: Path, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in _UNSET}
    environ.update(env, CASEDESK_DATA_DIR=str(data_dir))
    out = subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.mark.slow
def test_a_transaction_holds_the_lock_file_when_the_write_lock_is_left_on(tmp_path: Path) -> None:
    assert _run(_WRITE_LOCK_CHILD, tmp_path) == "held"


@pytest.mark.slow
@pytest.mark.parametrize("value", ["0", "false", "off"])
def test_a_transaction_takes_no_lock_file_when_the_write_lock_is_switched_off(
    tmp_path: Path, value: str
) -> None:
    assert _run(_WRITE_LOCK_CHILD, tmp_path, CASEDESK_SQLITE_WRITE_LOCK=value) == "free"


@pytest.mark.slow
def test_a_server_worker_runs_the_checkpoint_thread_when_it_is_left_on(tmp_path: Path) -> None:
    assert _run(_CHECKPOINT_CHILD, tmp_path) == f"True {checkpoint.SAFETY_PAGES}"


@pytest.mark.slow
def test_a_server_worker_leaves_checkpoints_to_sqlite_when_the_thread_is_switched_off(
    tmp_path: Path,
) -> None:
    out = _run(_CHECKPOINT_CHILD, tmp_path, CASEDESK_SQLITE_CHECKPOINT_THREAD="0")
    assert out == "False 1000"  # no thread; commits checkpoint at SQLite's default size
