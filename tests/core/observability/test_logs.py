"""Structured logs: one line per request, sign-in refusals, jobs; the request id."""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from casedesk import config
from casedesk.core.observability.logs import job_logging
from casedesk.directory.models import User
from tests.conftest import Api
from tests.core.observability.conftest import LogLines, request_in_process

REQUEST_FIELDS = {
    "event",
    "level",
    "logger",
    "timestamp",
    "pid",
    "request_id",
    "method",
    "route",
    "status",
    "duration_ms",
    "db_queries",
    "user_id",
    "username",
    "client",
}


@pytest.mark.slow
def test_request_line_is_one_json_object_on_stderr_when_the_format_is_json(
    tmp_path: Path,
) -> None:
    env = dict(os.environ, CASEDESK_DATA_DIR=str(tmp_path), CASEDESK_LOG_FORMAT="json")
    env.pop("DATABASE_URL", None)
    status, _body, stderr = request_in_process(env, "/api/v1/users")
    assert status == 401
    lines = [json.loads(line) for line in stderr.splitlines()]
    (line,) = [line for line in lines if line["event"] == "request"]
    assert set(line) == REQUEST_FIELDS
    assert line["level"] == "info" and line["logger"] == "casedesk.request"
    assert (line["method"], line["route"], line["status"]) == ("GET", "/api/v1/users", 401)
    assert line["client"] == "127.0.0.1"


@pytest.mark.slow
def test_request_line_is_readable_text_when_no_format_is_set(tmp_path: Path) -> None:
    env = dict(os.environ, CASEDESK_DATA_DIR=str(tmp_path))
    env.pop("DATABASE_URL", None)
    env.pop("CASEDESK_LOG_FORMAT", None)
    _status, _body, stderr = request_in_process(env, "/api/v1/users")
    (line,) = [line for line in stderr.splitlines() if "route=/api/v1/users" in line]
    assert not line.startswith("{")
    assert "request" in line and "status=401" in line


def test_log_format_refuses_a_value_other_than_text_or_json(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CASEDESK_LOG_FORMAT", "xml")
    with pytest.raises(RuntimeError, match="CASEDESK_LOG_FORMAT"):
        config.log_format()


@pytest.mark.django_db
def test_request_line_names_the_user_the_route_and_the_queries(
    agent_api: Api, agent: User, log_lines: LogLines
) -> None:
    response = agent_api.get(f"/api/v1/users/{agent.id}")
    assert response.status_code == 200
    (line,) = log_lines(event="request")
    assert line["user_id"] == str(agent.id)
    assert line["username"] == agent.username
    assert line["route"] == "/api/v1/users/<user_id>"
    assert (line["method"], line["status"]) == ("GET", 200)
    assert line["db_queries"] >= 1
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0


@pytest.mark.django_db
def test_request_line_counts_each_query_the_request_ran(
    agent_api: Api, agent: User, log_lines: LogLines
) -> None:
    with CaptureQueriesContext(connection) as captured:
        agent_api.get(f"/api/v1/users/{agent.id}")
    (line,) = log_lines(event="request")
    assert line["db_queries"] == len(captured.captured_queries)


@override_settings(TRUSTED_PROXIES=["127.0.0.1/32"])
def test_request_line_names_the_client_a_trusted_proxy_forwards_for(log_lines: LogLines) -> None:
    Client().get("/api/v1/openapi.json", headers={"X-Forwarded-For": "203.0.113.9"})
    (line,) = log_lines(event="request")
    assert line["client"] == "203.0.113.9"


def test_request_line_names_no_user_for_an_anonymous_request(log_lines: LogLines) -> None:
    Client().get("/api/v1/openapi.json")
    (line,) = log_lines(event="request")
    assert (line["user_id"], line["username"]) == (None, None)


def test_request_id_is_taken_from_x_request_id_and_echoed(log_lines: LogLines) -> None:
    response = Client().get("/api/v1/openapi.json", headers={"X-Request-ID": "lb-7f3a.42"})
    assert response["X-Request-ID"] == "lb-7f3a.42"
    assert log_lines(event="request")[0]["request_id"] == "lb-7f3a.42"


def test_request_id_is_given_and_echoed_when_the_caller_sends_none(log_lines: LogLines) -> None:
    response = Client().get("/api/v1/openapi.json")
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    assert log_lines(event="request")[0]["request_id"] == response["X-Request-ID"]


@pytest.mark.parametrize("sent", ["two words", "x" * 129, "a\u00e9b", "a;rm"])
def test_request_id_is_replaced_when_the_callers_is_not_a_plain_token(sent: str) -> None:
    response = Client().get("/api/v1/openapi.json", headers={"X-Request-ID": sent})
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


@pytest.mark.django_db
def test_sign_in_failure_is_a_structured_security_record_when_the_password_is_wrong(
    agent: User, log_lines: LogLines
) -> None:
    response = Client().post(
        "/login/",
        {"username": agent.username, "password": "not-the-password"},
        headers={"X-Request-ID": "signin-1"},
    )
    assert response.status_code == 200
    (record,) = log_lines(logger="casedesk.security", event="signin_failed")
    assert record["level"] == "info"
    assert record["reason"] == "bad_credentials"
    assert record["username"] == agent.username
    assert record["client_address"] == "127.0.0.1"
    # Bound to the request it happened in.
    assert record["request_id"] == "signin-1"


@pytest.mark.django_db
def test_sign_in_failure_is_a_structured_security_record_when_the_user_name_waits(
    agent: User, anon_api: Api, log_lines: LogLines
) -> None:
    free = settings.LOGIN_THROTTLE["free_per_user"]
    for _ in range(free + 1):
        anon_api.post("/api/v1/auth/token", {"username": agent.username, "password": "wrong"})
    (waiting,) = log_lines(logger="casedesk.security", reason="waiting")
    assert waiting["event"] == "signin_failed"
    assert waiting["username"] == agent.username
    assert waiting["retry_after"] > 0


@pytest.mark.django_db
def test_sign_in_delay_record_of_the_security_log_is_structured_too(
    agent: User, anon_api: Api, log_lines: LogLines
) -> None:
    for _ in range(settings.LOGIN_THROTTLE["free_per_user"]):
        anon_api.post("/api/v1/auth/token", {"username": agent.username, "password": "wrong"})
    (delayed,) = log_lines(logger="casedesk.security", event="signin_delayed")
    assert delayed["level"] == "warning"
    assert (delayed["username"], delayed["client_address"]) == (agent.username, "127.0.0.1")
    assert delayed["delay_seconds"] > 0


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
@pytest.mark.django_db
def test_probes_are_not_logged_when_they_succeed(path: str, log_lines: LogLines) -> None:
    assert Client().get(path).status_code == 200
    assert log_lines(event="request") == []


@pytest.mark.django_db
def test_job_logging_writes_one_job_line_with_its_fields_and_queries(
    agent: User, log_lines: LogLines
) -> None:
    with job_logging("mail.fetch", job_id="j-1") as line:
        User.objects.filter(pk=agent.pk).exists()
        line["messages"] = 3
    (record,) = log_lines(event="job")
    assert record["logger"] == "casedesk.job"
    assert (record["job"], record["job_id"], record["outcome"]) == ("mail.fetch", "j-1", "ok")
    assert (record["messages"], record["db_queries"]) == (3, 1)
    assert record["duration_ms"] >= 0


def test_job_logging_binds_the_job_to_records_logged_meanwhile(log_lines: LogLines) -> None:
    import structlog

    with job_logging("sla.tick", job_id="j-2"):
        structlog.get_logger("casedesk.sla").info("kpi_breached", case="CAS-1")
    (record,) = log_lines(event="kpi_breached")
    assert (record["job"], record["job_id"]) == ("sla.tick", "j-2")


def test_job_logging_logs_a_failed_job_with_its_traceback_and_lets_the_error_go_on(
    log_lines: LogLines,
) -> None:
    with pytest.raises(ValueError), job_logging("webhook.deliver"):
        raise ValueError("refused by the receiver")
    (record,) = log_lines(event="job")
    assert (record["level"], record["outcome"]) == ("error", "failed")
    assert "ValueError: refused by the receiver" in record["exception"]


@pytest.mark.django_db(transaction=True)
def test_sign_in_delay_is_logged_after_the_transaction_that_counts_it(agent: User) -> None:
    """A slow log destination must not hold the counts' row locks (on SQLite, the database's
    write lock) while the record is written."""
    from casedesk.directory.services import login_failure_record

    seen: list[bool] = []

    class InTransaction(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if getattr(record, "event", None) == "signin_delayed":
                seen.append(connection.in_atomic_block)

    handler = InTransaction()
    logging.getLogger("casedesk.security").addHandler(handler)
    try:
        for _ in range(settings.LOGIN_THROTTLE["free_per_user"]):
            login_failure_record(username=agent.username, address="192.0.2.1")
    finally:
        logging.getLogger("casedesk.security").removeHandler(handler)
    assert seen == [False]
