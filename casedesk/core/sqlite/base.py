"""Django's SQLite backend with a prompt hand-off of the write lock between connections.

Every transaction takes SQLite's write lock when it begins (`BEGIN IMMEDIATE`, see settings).
A connection that finds it taken waits in SQLite's busy handler, which sleeps 1, 2, 5, 10 ...
up to 100 ms between tries; the lock is usually free long before the sleeper wakes, so under
concurrent writes the workers idle and the slowest requests wait for nothing.

Here each connection first takes an exclusive `flock` on a file beside the database
(`<database>-writelock`), polled at most a millisecond apart, and only then begins its
transaction; it lets go after the commit or rollback. A waiting writer so starts within about
a millisecond of the lock's release. The wait is bounded by the connection's `timeout`, after
which the transaction is refused as SQLite refuses it ("database is locked", a 503 for the
API). Programs outside this backend (the sqlite3 shell, a backup tool) still meet SQLite's own
lock and busy handler, so correctness never depends on the file lock.

`CASEDESK_SQLITE_WRITE_LOCK=0` (the setting `SQLITE_WRITE_LOCK`) leaves the lock file alone:
transactions then begin straight away and wait, if they must, in SQLite's busy handler.

The methods overridden here are Django's internals, which may change in any release:
tests/core/test_sqlite_django_internals.py pins each original and says what to re-check.
"""

from __future__ import annotations

import fcntl
import os
import time
from typing import Any

from django.conf import settings
from django.db import OperationalError
from django.db.backends.sqlite3 import base

from casedesk.core.observability import metrics
from casedesk.core.sqlite import checkpoint

# The first wait between tries, and the longest.
POLL_FIRST = 0.0001
POLL_MAX = 0.001


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock_fd: int | None = None
        self._lock_name: str | None = None
        self._lock_held = False

    def get_new_connection(self, conn_params: Any) -> Any:
        conn = super().get_new_connection(conn_params)
        if checkpoint.running():  # a server worker: its thread checkpoints the log
            conn.execute(f"PRAGMA wal_autocheckpoint = {checkpoint.SAFETY_PAGES}")
        return conn

    def _lock_file(self) -> int | None:
        """The descriptor of this connection's lock file, or None for an in-memory database."""
        name = str(self.settings_dict["NAME"])
        if self.is_in_memory_db():
            return None
        if self._lock_fd is not None and self._lock_name != name:
            os.close(self._lock_fd)  # the test runner switched databases
            self._lock_fd = None
        if self._lock_fd is None:
            self._lock_fd = os.open(f"{name}-writelock", os.O_RDWR | os.O_CREAT, 0o600)
            self._lock_name = name
        return self._lock_fd

    def _write_lock_acquire(self) -> None:
        if not getattr(settings, "SQLITE_WRITE_LOCK", True):
            return
        fd = self._lock_file()
        if fd is None or self._lock_held:
            return
        timeout = float(self.settings_dict["OPTIONS"].get("timeout", 5))
        started = time.monotonic()
        deadline = started + timeout
        pause = POLL_FIRST
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    metrics.sqlite().write_lock_timeouts.inc()
                    raise OperationalError("database is locked") from None
                time.sleep(pause)
                pause = min(pause * 2, POLL_MAX)
        self._lock_held = True
        metrics.sqlite().write_lock_wait.observe(time.monotonic() - started)

    def _write_lock_release(self) -> None:
        if self._lock_held and self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
        self._lock_held = False

    def _start_transaction_under_autocommit(self) -> None:
        self._write_lock_acquire()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._write_lock_release()
            raise

    def _commit(self) -> Any:
        try:
            return super()._commit()  # type: ignore[misc]
        finally:
            self._write_lock_release()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]
        finally:
            self._write_lock_release()

    def _close(self) -> Any:
        try:
            return super()._close()  # type: ignore[misc]
        finally:
            self._write_lock_release()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None
