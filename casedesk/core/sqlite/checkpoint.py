"""Checkpoints of SQLite's write-ahead log, off the request path.

SQLite copies the log back into the database file (a checkpoint) from within a commit: the
commit that takes the log past `wal_autocheckpoint` pages (1,000 by default) does the copy
before it returns. With 25 indexes on the case table a new case writes some 50 pages, so
about one save in twenty paid for a checkpoint, and the others waited for it (the write lock
is handed on after the commit returns): the slowest saves and every bulk write paid it.

In a server worker a thread does it instead: every `INTERVAL` seconds a PASSIVE checkpoint,
which copies what no reader still needs and never blocks readers or writers, on its own
connection. The request connections keep a much higher `wal_autocheckpoint`
(`SAFETY_PAGES`), so should this thread fall behind (or stop), commits checkpoint again as
SQLite's default does. `CASEDESK_SQLITE_CHECKPOINT_THREAD=0` (the setting
`SQLITE_CHECKPOINT_THREAD`) keeps server workers from starting the thread: commits then
checkpoint as SQLite's default does.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time

INTERVAL = 0.1
SAFETY_PAGES = 16_384  # 64 MB of log with 4 KB pages

log = logging.getLogger("casedesk.sqlite")


class Checkpointer(threading.Thread):
    def __init__(self, path: str, interval: float = INTERVAL):
        super().__init__(name="sqlite-checkpointer", daemon=True)
        self.path = path
        self.interval = interval
        self.pid = os.getpid()
        self.frames = 0  # log frames copied into the database so far
        self.runs = 0
        # The last checkpoint's (busy, frames in the log, frames copied), as SQLite gives it.
        self.last: tuple[int, int, int] | None = None
        self._stop_event = threading.Event()

    def stop(self) -> None:
        self._stop_event.set()

    def run(self) -> None:
        conn: sqlite3.Connection | None = None
        while not self._stop_event.wait(self.interval):
            try:
                if conn is None:
                    conn = sqlite3.connect(self.path, timeout=1, isolation_level=None)
                row = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                self.last = (int(row[0]), int(row[1]), int(row[2])) if row else None
                self.runs += 1
                if row and row[2] > 0:
                    self.frames += int(row[2])
            except sqlite3.Error as exc:  # a locked or missing file: try again later
                log.warning("WAL checkpoint failed: %s", exc)
                if conn is not None:
                    conn.close()
                    conn = None
                time.sleep(self.interval)
        if conn is not None:
            conn.close()


_running: Checkpointer | None = None
_lock = threading.Lock()


def start(path: str) -> Checkpointer:
    """Run the checkpoint thread of this process for the database at `path` (once per
    process: a forked worker starts its own; another database replaces the thread)."""
    global _running
    with _lock:
        current = _running
        if current is None or current.pid != os.getpid() or not current.is_alive():
            current = None
        elif current.path != path:
            current.stop()
            current = None
        if current is None:
            current = Checkpointer(path)
            current.start()
            _running = current
        return current


def running() -> bool:
    """Whether this process checkpoints in its own thread (then commits need not)."""
    return _running is not None and _running.pid == os.getpid() and _running.is_alive()


def start_for_default_database() -> Checkpointer | None:
    """The checkpoint thread for the default database when it is an SQLite file (a server
    worker calls it once it has loaded the application)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return None
    name = connection.settings_dict["NAME"]
    if connection.creation.is_in_memory_db(name):  # type: ignore[attr-defined]  # SQLite's own
        return None
    return start(str(name))
