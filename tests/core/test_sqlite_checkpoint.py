"""The write-ahead log is checkpointed by a thread of the server worker, not by commits."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from django.db import connection, transaction

from casedesk.core import clock, inuse
from casedesk.core.sqlite import checkpoint
from casedesk.customers.models import Account
from tests.support import skips


def test_the_thread_copies_the_log_into_the_database(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("PRAGMA wal_autocheckpoint=0")  # only the thread checkpoints
    setup.execute("CREATE TABLE t (x TEXT)")
    worker = checkpoint.Checkpointer(str(path), interval=0.02)
    worker.start()
    try:
        setup.executemany("INSERT INTO t VALUES (?)", [("x" * 500,) for _ in range(2000)])
        deadline = time.monotonic() + 10

        def copied_all() -> bool:
            last = worker.last
            return last is not None and last[1] > 0 and last[1] == last[2]

        while not copied_all() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert copied_all() and worker.frames > 0
        worker.stop()
        worker.join(5)
        # Everything in the log is in the database (checked once the thread has stopped, so
        # that this checkpoint does not meet its own): nothing is left to copy.
        busy, logged, copied = setup.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert busy == 0 and logged == copied
        assert setup.execute("SELECT count(*) FROM t").fetchone()[0] == 2000
    finally:
        worker.stop()
        worker.join(5)
        setup.close()
    assert not worker.is_alive()


def test_a_missing_database_does_not_stop_the_thread(tmp_path: Path) -> None:
    worker = checkpoint.Checkpointer(str(tmp_path / "no" / "such.sqlite3"), interval=0.01)
    worker.start()
    try:
        time.sleep(0.1)
        assert worker.is_alive()
    finally:
        worker.stop()
        worker.join(5)


@pytest.mark.django_db(transaction=True)
def test_a_server_worker_leaves_checkpoints_to_its_thread() -> None:
    skips.engine_only("sqlite", "the write-ahead log checkpoint thread")
    connection.close()
    started = checkpoint.start(str(connection.settings_dict["NAME"]))
    try:
        assert checkpoint.running()
        assert checkpoint.start(str(connection.settings_dict["NAME"])) is started  # once
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint")
            assert cursor.fetchone()[0] == checkpoint.SAFETY_PAGES
        now = clock.now()
        for i in range(50):
            with transaction.atomic():
                Account.objects.create(name=f"Log {i} Srl", created_at=now, modified_at=now)
        # It checkpoints this database, even when the process had a thread for another one.
        runs = started.runs
        deadline = time.monotonic() + 10
        while started.runs < runs + 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert started.runs >= runs + 2
        assert started.path == connection.settings_dict["NAME"]
        assert started.frames > 0
    finally:
        started.stop()
        started.join(5)
        connection.close()
    assert not checkpoint.running()
    with connection.cursor() as cursor:  # a new connection of a process without the thread
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert cursor.fetchone()[0] == 1000


def test_a_thread_for_another_database_is_replaced(tmp_path: Path) -> None:
    first = checkpoint.start(str(tmp_path / "one.sqlite3"))
    try:
        assert checkpoint.start(str(tmp_path / "one.sqlite3")) is first
        second = checkpoint.start(str(tmp_path / "two.sqlite3"))
        assert second is not first and second.path.endswith("two.sqlite3")
        first.join(5)
        assert not first.is_alive()
    finally:
        checkpoint.start(str(tmp_path / "two.sqlite3")).stop()


@pytest.mark.django_db
def test_a_gunicorn_worker_starts_the_thread_after_loading_the_app_on_sqlite_only() -> None:
    from casedesk.cli import gunicorn_config

    gunicorn_config.post_worker_init(None)
    try:
        if connection.vendor == "sqlite":
            assert checkpoint.running()
            assert checkpoint.start_for_default_database() is not None
        else:
            assert checkpoint.start_for_default_database() is None
            assert not checkpoint.running()
    finally:
        found = checkpoint.start_for_default_database()
        if found is not None:
            found.stop()
            found.join(5)
        inuse.release_database()  # the hook also marked the database as in use
