"""A database that breaks a deadlock or drops connections costs no server error: a deadlock
answers 503 `unavailable` with Retry-After (a page saying so in the web UI), and a pooled
connection that the server closed is replaced before a request gets it (PostgreSQL)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from django.db import connection

from casedesk.cases.models import Activity, Case
from tests.conftest import PASSWORD, Api, assert_error
from tests.support import skips
from tests.support.processes import fresh_database_env, run, running_server

pytestmark = pytest.mark.django_db(transaction=True)

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason=skips.engine_reason("postgresql", "deadlocks and pooled connections"),
)


def _connect() -> psycopg.Connection[Any]:
    """A connection of our own to the test database, beside the server's."""
    s = connection.settings_dict
    return psycopg.connect(
        dbname=s["NAME"],
        user=s["USER"],
        password=s["PASSWORD"],
        host=s["HOST"],
        port=s["PORT"],
        autocommit=False,
    )


def _open_activity(agent_api: Api, agent: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    account = agent_api.post("/api/v1/accounts", {"name": "Città Ottica"}).json()
    case = agent_api.post(
        "/api/v1/cases",
        {"title": "Fibra assente", "customer": {"type": "account", "id": account["id"]}},
    ).json()
    activity = agent_api.post(
        f"/api/v1/cases/{case['id']}/activities", {"type": "task", "subject": "Richiamare"}
    ).json()
    return case, activity


class Deadlocker(threading.Thread):
    """Holds the activity's row lock, waits until another transaction holds the case's and
    waits for the activity's, then asks for the case's: a deadlock, which PostgreSQL breaks by
    aborting the other transaction (this one waits far longer before it would check)."""

    def __init__(self, case_id: str, activity_id: str) -> None:
        super().__init__(daemon=True)
        self.case_id = case_id
        self.activity_id = activity_id
        self.holding = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with _connect() as conn, _connect() as watcher:
                watcher.autocommit = True
                conn.execute("SET deadlock_timeout = '60s'")
                conn.execute(
                    f"SELECT id FROM {Activity._meta.db_table} WHERE id = %s FOR UPDATE",
                    [self.activity_id],
                )
                self.holding.set()
                self._wait_for_a_blocked_transaction(watcher, conn.info.backend_pid)
                conn.execute(
                    f"SELECT id FROM {Case._meta.db_table} WHERE id = %s FOR UPDATE",
                    [self.case_id],
                )
                conn.rollback()
        except BaseException as exc:  # reported by the test
            self.error = exc
            self.holding.set()

    @staticmethod
    def _wait_for_a_blocked_transaction(watcher: psycopg.Connection[Any], mine: int) -> None:
        deadline = time.monotonic() + 60
        while True:
            blocked = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                [mine],
            ).fetchone()
            if blocked and blocked[0]:
                return
            assert time.monotonic() < deadline, "the request never waited for the lock"
            time.sleep(0.01)


@pytest.fixture
def deadlock() -> Iterator[Callable[[str, str], Deadlocker]]:
    started: list[Deadlocker] = []

    def start(case_id: str, activity_id: str) -> Deadlocker:
        thread = Deadlocker(case_id, activity_id)
        thread.start()
        assert thread.holding.wait(60)
        assert thread.error is None, thread.error
        started.append(thread)
        return thread

    yield start
    for thread in started:
        thread.join(60)
        assert not thread.is_alive()
        assert thread.error is None, thread.error


@postgresql_only
def test_a_deadlock_is_503_with_retry_after_when_the_api_writes(
    agent_api: Api, agent: Any, deadlock: Callable[[str, str], Deadlocker]
) -> None:
    case, activity = _open_activity(agent_api, agent)
    deadlock(case["id"], activity["id"])
    response = agent_api.post(f"/api/v1/activities/{activity['id']}/cancel")
    error = assert_error(response, 503, "unavailable")
    assert error["message"]
    assert int(response["Retry-After"]) > 0
    assert Activity.objects.get(pk=activity["id"]).state == "open"


@postgresql_only
def test_a_deadlock_is_a_503_page_when_the_web_ui_writes(
    client: Any, agent_api: Api, agent: Any, deadlock: Callable[[str, str], Deadlocker]
) -> None:
    case, activity = _open_activity(agent_api, agent)
    client.force_login(agent)
    deadlock(case["id"], activity["id"])
    response = client.post(
        f"/activities/{activity['id']}/cancel/", {"version": activity["version"]}
    )
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert "try again in a moment" in response.content.decode()
    assert Activity.objects.get(pk=activity["id"]).state == "open"


@postgresql_only
@pytest.mark.slow
def test_no_request_fails_when_the_database_closed_the_pooled_connections(
    tmp_path: Path,
) -> None:
    """`casedesk serve` with its pool: PostgreSQL ends every connection the server holds
    (a restart, a fail-over, an administrator); each later request still answers 200."""
    with fresh_database_env(tmp_path, migrated=True) as env:
        run(env, "user", "add", "ops", "--password", PASSWORD, "--role", "admin")
        database = env["DATABASE_URL"].rsplit("/", 1)[1]
        with (
            running_server(env, workers=2) as (base, _proc),
            httpx.Client(base_url=base, timeout=30) as http,
        ):
            token = http.post(
                "/api/v1/auth/token", json={"username": "ops", "password": PASSWORD}
            ).json()["token"]
            auth = {"Authorization": f"Bearer {token}"}

            def burst() -> list[int]:
                with ThreadPoolExecutor(max_workers=8) as pool:
                    calls = [
                        pool.submit(http.get, "/api/v1/users", headers=auth) for _ in range(24)
                    ]
                    return [c.result().status_code for c in calls]

            assert set(burst()) == {200}  # every worker's pool holds connections now
            ended = _terminate_backends(database)
            assert ended >= 2, ended
            statuses = burst() + [
                http.get("/api/v1/users", headers=auth).status_code for _ in range(10)
            ]
    assert statuses == [200] * len(statuses), statuses


def _terminate_backends(database: str) -> int:
    s = connection.settings_dict
    with psycopg.connect(
        dbname="postgres", user=s["USER"], host=s["HOST"], port=s["PORT"], autocommit=True
    ) as admin:
        row = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        ).fetchone()
    return int(row[0]) if row else 0
