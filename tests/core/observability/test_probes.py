"""/healthz and /readyz: public, cheap, answered for any Host and never redirected."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings

from casedesk.core import clock
from casedesk.core.models import WorkerHeartbeat
from casedesk.core.observability.heartbeat import worker_heartbeat_record
from tests.core.observability.conftest import request_in_process, unreachable_database_env
from tests.support.processes import fresh_database_env, run


def test_healthz_answers_ok_without_touching_the_database() -> None:
    # No `db` fixture: any query would raise here.
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_healthz_answers_ok_when_the_database_is_unreachable(tmp_path: Path, engine: str) -> None:
    status, body, _ = request_in_process(unreachable_database_env(tmp_path, engine), "/healthz")
    assert (status, json.loads(body)) == (200, {"status": "ok"})


@pytest.mark.django_db
def test_readyz_answers_ok_with_each_check_when_the_database_is_migrated() -> None:
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readyz_runs_one_query_when_the_migrations_were_found_applied_before(
    django_assert_num_queries: Any,
) -> None:
    assert Client().get("/readyz").status_code == 200
    with django_assert_num_queries(1):
        assert Client().get("/readyz").status_code == 200


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_readyz_is_503_naming_the_database_when_it_is_unreachable(
    tmp_path: Path, engine: str
) -> None:
    status, body, stderr = request_in_process(unreachable_database_env(tmp_path, engine), "/readyz")
    assert status == 503, body
    assert json.loads(body) == {
        "status": "unavailable",
        "failing": ["database"],
        "checks": {"database": "unreachable", "migrations": "skipped"},
    }
    assert "readiness_check_failed" in stderr


@pytest.mark.slow
def test_readyz_is_503_naming_migrations_when_one_is_unapplied(tmp_path: Path) -> None:
    with fresh_database_env(tmp_path, migrated=True) as env:
        run(env, "migrate", "casedesk_core", "0002", "--no-input", "-v", "0")
        status, body, _ = request_in_process(env, "/readyz")
    assert status == 503, body
    assert json.loads(body) == {
        "status": "unavailable",
        "failing": ["migrations"],
        "checks": {"database": "ok", "migrations": "unapplied"},
    }


@pytest.mark.django_db
def test_readyz_leaves_the_worker_out_when_it_is_not_required() -> None:
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert "worker" not in response.json()["checks"]


@pytest.mark.django_db
@override_settings(REQUIRE_WORKER=True)
def test_readyz_is_503_naming_the_worker_when_required_and_none_was_seen() -> None:
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["worker"]
    assert response.json()["checks"]["worker"] == "no_recent_heartbeat"


@pytest.mark.django_db
@override_settings(REQUIRE_WORKER=True)
def test_readyz_is_ready_when_required_and_a_worker_was_seen_within_a_minute() -> None:
    worker_heartbeat_record(worker="box:1")
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["worker"] == "ok"


@pytest.mark.django_db
@override_settings(REQUIRE_WORKER=True)
def test_readyz_is_503_when_required_and_the_last_heartbeat_is_over_a_minute_old() -> None:
    worker_heartbeat_record(worker="box:1")
    WorkerHeartbeat.objects.update(seen_at=clock.now() - dt.timedelta(seconds=61))
    assert Client().get("/readyz").status_code == 503


@pytest.mark.django_db
def test_worker_heartbeat_keeps_one_row_per_worker_and_forgets_workers_silent_for_a_day() -> None:
    worker_heartbeat_record(worker="gone:1")
    WorkerHeartbeat.objects.update(seen_at=clock.now() - dt.timedelta(days=2))
    worker_heartbeat_record(worker="box:1")
    worker_heartbeat_record(worker="box:1")
    assert list(WorkerHeartbeat.objects.values_list("worker", flat=True)) == ["box:1"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_answer_a_host_header_that_allowed_hosts_does_not_list(path: str) -> None:
    client = Client(HTTP_HOST="10.20.30.40:8000")
    assert client.get(path).status_code == 200
    # The same Host elsewhere is refused: ALLOWED_HOSTS is not opened.
    assert client.get("/login/").status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_are_not_redirected_to_https_when_ssl_redirect_is_on(path: str) -> None:
    with override_settings(SECURE_SSL_REDIRECT=True):
        client = Client()
        assert client.get(path).status_code == 200
        assert client.get("/login/").status_code == 301


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_refuse_a_method_other_than_get_and_head(path: str) -> None:
    response = Client().post(path)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
