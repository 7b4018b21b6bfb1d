"""Which processes use the database, so that `casedesk restore` never replaces it under them.

A process that serves or changes data for as long as it runs (each worker of `casedesk serve`,
a background worker) calls `hold_database(role)` once when it starts; from then until it exits
it holds a shared lock that says "in use":

- SQLite: a shared `flock` on `<database>-inuse`, a file beside the database (created on
  first use; leave it in place). The kernel lets go when the process ends, however it ends.
- PostgreSQL: a shared advisory lock, taken on a connection of the process's own that stays
  open (its `application_name` names the role, the host and the process id), so app servers on
  other machines count too. Should that connection break, a thread reconnects and takes the
  lock again.

`casedesk restore` calls `exclusive_use()`: it takes the same lock exclusively without waiting
and is refused (`DatabaseInUse`) while any holder lives; on PostgreSQL it is also refused while
any other session is connected to the database. A process that starts holding while a restore
runs waits until the restore is over, and then works on the restored database.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

log = logging.getLogger("casedesk.inuse")

# The advisory lock's key; PostgreSQL keeps advisory locks per database, so casedesk databases
# sharing one server do not meet.
ADVISORY_KEY = 0x6361_7365_6465_736B  # "casedesk"
# How often a PostgreSQL holder checks that its connection (and so its lock) is still there.
KEEP_INTERVAL = 10.0


class DatabaseInUse(Exception):
    """A server, a worker or (on PostgreSQL) another session is using the database."""


def lock_path(database: str) -> Path:
    """The SQLite in-use lock file of the database file `database`."""
    return Path(f"{database}-inuse")


def _database() -> tuple[str, dict[str, Any]]:
    """The default database's vendor and settings."""
    connection = connections[DEFAULT_DB_ALIAS]
    return connection.vendor, connection.settings_dict


def _sqlite_file(settings_dict: dict[str, Any]) -> str | None:
    name = str(settings_dict["NAME"])
    if name == ":memory:" or (name.startswith("file:") and "mode=memory" in name):
        return None
    return name


_held: dict[str, _SqliteHold | _PostgresHold] = {}  # this process's holds, by database
_held_lock = threading.Lock()


def _key(settings_dict: dict[str, Any]) -> str:
    return f"{os.getpid()}:{settings_dict['NAME']}"


def hold_database(role: str) -> None:
    """Mark the default database as used by this process until it exits.

    Call it once when a long-lived process that uses the database starts (`casedesk serve`
    does in each worker; a background worker command should as its first step): from then on
    `casedesk restore` is refused for as long as the process lives. While a restore runs,
    wait until it has finished. `role` names the process in what a refused restore prints
    ("casedesk worker"). Calling it again in the same process does nothing.
    """
    vendor, settings_dict = _database()
    if vendor == "sqlite":
        name = _sqlite_file(settings_dict)
        if name is None:
            return
        with _held_lock:
            if _key(settings_dict) not in _held:
                _held[_key(settings_dict)] = _SqliteHold(name, role)
    elif vendor == "postgresql":
        with _held_lock:
            if _key(settings_dict) not in _held:
                keeper = _PostgresHold(role)
                keeper.first_acquire()
                keeper.start()
                _held[_key(settings_dict)] = keeper


def release_database() -> None:
    """Let go of this process's hold on the default database (`hold_database`): for a
    process that stops using the database but goes on running, and for tests."""
    _, settings_dict = _database()
    with _held_lock:
        hold = _held.pop(_key(settings_dict), None)
    if hold is not None:
        hold.release()


class _SqliteHold:
    """A shared `flock` on the database's in-use file, held while the descriptor is open."""

    def __init__(self, name: str, role: str) -> None:
        self.fd = os.open(lock_path(name), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("%s: waiting for a restore of %s to finish", role, name)
            fcntl.flock(self.fd, fcntl.LOCK_SH)

    def release(self) -> None:
        os.close(self.fd)


@contextlib.contextmanager
def exclusive_use() -> Iterator[None]:
    """Hold the default database exclusively for the block: no server or worker starts meanwhile.

    Raise `DatabaseInUse`, naming who uses it where that is known, if a process holds it
    (`hold_database`) or, on PostgreSQL, if any other session is connected to the database.
    """
    vendor, settings_dict = _database()
    if vendor == "sqlite":
        name = _sqlite_file(settings_dict)
        if name is None:
            yield
            return
        with _exclusive_sqlite(name):
            yield
    else:
        with _exclusive_postgres():
            yield


@contextlib.contextmanager
def _exclusive_sqlite(name: str) -> Iterator[None]:
    path = lock_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pids = _flock_holders(fd)
            who = f" (process {', '.join(map(str, pids))})" if pids else ""
            raise DatabaseInUse(
                f"the database is in use by a casedesk server or worker{who}; stop it first"
            ) from None
        yield
    finally:
        os.close(fd)  # also lets go of the lock


def _flock_holders(fd: int) -> list[int]:
    """The processes holding a `flock` on the file open at `fd`, as far as Linux tells."""
    st = os.fstat(fd)
    device = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    pids: set[int] = set()
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/locks").read_text().splitlines():
            fields = line.split()
            if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == device:
                pids.add(int(fields[4]))
    return sorted(pids)


# PostgreSQL


def connect_postgres(application_name: str) -> Any:
    """A psycopg connection (autocommit) of its own to the default PostgreSQL database,
    outside Django's pool, named `application_name` in `pg_stat_activity`."""
    import psycopg

    params = connections[DEFAULT_DB_ALIAS].get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params["application_name"] = application_name[:63]
    return psycopg.connect(**params, autocommit=True)


def _application_name(role: str) -> str:
    return f"{role} pid {os.getpid()} on {socket.gethostname()}"


class _PostgresHold(threading.Thread):
    """The shared advisory lock of one process, on a connection of its own that a thread
    keeps open, and opens again (taking the lock again) should it break."""

    def __init__(self, role: str) -> None:
        super().__init__(name="casedesk-inuse", daemon=True)
        self.role = role
        self.conn: Any = None
        self._stop_event = threading.Event()

    def first_acquire(self) -> None:
        """Take the lock before the process starts its work; if the database cannot be
        reached now, leave it to the thread."""
        import psycopg

        try:
            self.acquire()
        except psycopg.OperationalError as exc:
            log.warning("%s: cannot mark the database as in use yet (%s)", self.role, exc)

    def acquire(self) -> None:
        conn = connect_postgres(_application_name(self.role))
        try:
            (got,) = conn.execute(
                "SELECT pg_try_advisory_lock_shared(%s)", [ADVISORY_KEY]
            ).fetchone()
            if not got:
                log.warning("%s: waiting for a restore of the database to finish", self.role)
                conn.execute("SELECT pg_advisory_lock_shared(%s)", [ADVISORY_KEY])
        except BaseException:
            conn.close()
            raise
        self.conn = conn

    def run(self) -> None:
        import psycopg

        while not self._stop_event.wait(KEEP_INTERVAL):
            try:
                if self.conn is None:
                    self.acquire()
                else:
                    self.conn.execute("SELECT 1")
            except psycopg.Error as exc:
                log.warning("%s: retaking the database's in-use lock (%s)", self.role, exc)
                self._close()

    def _close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()  # the server lets go of the lock when its backend ends

    def release(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)
        if self.conn is not None:
            with contextlib.suppress(Exception):  # at once, not when the backend has ended
                self.conn.execute("SELECT pg_advisory_unlock_all()")
        self._close()


@contextlib.contextmanager
def _exclusive_postgres() -> Iterator[None]:
    conn = connect_postgres(_application_name("casedesk restore"))
    try:
        (got,) = conn.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_KEY]).fetchone()
        others = conn.execute(
            "SELECT pid, coalesce(nullif(application_name, ''), usename, 'a session'),"
            " coalesce(host(client_addr), 'local')"
            " FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND backend_type = 'client backend' ORDER BY pid"
        ).fetchall()
        if not got or others:
            raise DatabaseInUse(_in_use_message([f"{n} ({a}, backend {p})" for p, n, a in others]))
        yield
    finally:
        conn.close()  # also lets go of the advisory lock


def _in_use_message(sessions: list[str]) -> str:
    if not sessions:  # the lock's holder is on a connection this role cannot see
        who = "a casedesk server or worker"
    else:
        who = f"{len(sessions)} other session{'s' if len(sessions) > 1 else ''}: "
        who += "; ".join(sessions[:3])
        if len(sessions) > 3:
            who += f"; {len(sessions) - 3} more"
    return (
        f"the database is in use by {who}; stop casedesk's servers and workers and close"
        " other sessions first"
    )
