"""/metrics: counts and times requests by route, refuses callers without the token or outside
the allowed networks, and carries the database's figures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import Client, override_settings
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from casedesk import config
from casedesk.core.observability import metrics
from casedesk.core.observability.database import pool_sample
from casedesk.directory.models import User
from tests.conftest import Api
from tests.core.observability.conftest import scrape
from tests.support import skips

REQUESTS = "casedesk_http_requests_total"


def _requests(route: str, status: str = "200", method: str = "GET") -> float:
    key = (REQUESTS, frozenset({"route": route, "method": method, "status": status}.items()))
    return scrape().get(key, 0.0)


@pytest.mark.django_db
def test_metrics_count_a_request_by_route_method_and_status(agent_api: Api, agent: User) -> None:
    route = "/api/v1/users/<user_id>"
    before = _requests(route)
    assert agent_api.get(f"/api/v1/users/{agent.id}").status_code == 200
    assert _requests(route) == before + 1


@pytest.mark.django_db
def test_metrics_time_a_request_in_the_route_latency_histogram(agent_api: Api) -> None:
    labels = frozenset({"route": "/api/v1/users", "method": "GET"}.items())
    count = ("casedesk_http_request_duration_seconds_count", labels)
    before = scrape().get(count, 0.0)
    agent_api.get("/api/v1/users")
    samples = scrape()
    assert samples[count] == before + 1
    slowest = ("casedesk_http_request_duration_seconds_bucket", labels | {("le", "+Inf")})
    assert samples[slowest] == samples[count]


def test_metrics_refuse_a_caller_outside_the_allowed_networks() -> None:
    response = Client(REMOTE_ADDR="203.0.113.9").get("/metrics")
    assert response.status_code == 403
    assert b"casedesk_" not in response.content


@override_settings(METRICS_ALLOW=["10.0.0.0/8"])
def test_metrics_answer_a_caller_inside_an_allowed_network() -> None:
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200


@override_settings(METRICS_ALLOW=[])
def test_metrics_refuse_even_loopback_when_no_network_is_allowed() -> None:
    assert Client().get("/metrics").status_code == 403


@override_settings(METRICS_TOKEN="scrape-secret-123")
def test_metrics_answer_the_bearer_of_the_token_from_any_address() -> None:
    client = Client(REMOTE_ADDR="203.0.113.9")
    response = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret-123"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")


@override_settings(METRICS_TOKEN="scrape-secret-123")
def test_metrics_refuse_a_wrong_token_even_from_an_allowed_address() -> None:
    response = Client().get("/metrics", headers={"Authorization": "Bearer guess"})
    assert response.status_code == 403


def test_metrics_refuse_a_request_relayed_by_a_proxy_on_the_same_machine() -> None:
    response = Client().get("/metrics", headers={"X-Forwarded-For": "198.51.100.7"})
    assert response.status_code == 403


def test_metrics_answer_a_host_header_that_allowed_hosts_does_not_list() -> None:
    assert Client(HTTP_HOST="10.20.30.40:8000").get("/metrics").status_code == 200


def test_metrics_are_not_redirected_to_https_when_ssl_redirect_is_on() -> None:
    with override_settings(SECURE_SSL_REDIRECT=True):
        assert Client().get("/metrics").status_code == 200


def test_metrics_allow_refuses_a_value_that_is_not_a_network(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CASEDESK_METRICS_ALLOW", "10.0.0.0/8, intranet")
    with pytest.raises(RuntimeError, match="'intranet'"):
        config.metrics_allow()


def test_metrics_include_the_families_registered_to_be_read_at_scrape(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def waiting() -> Iterator[Metric]:
        family = GaugeMetricFamily("casedesk_test_waiting", "A test family.", labels=["queue"])
        family.add_metric(["default"], 4)
        yield family

    monkeypatch.setattr(metrics, "_AT_SCRAPE", [])
    metrics.at_scrape(waiting)
    samples = scrape()
    assert samples[("casedesk_test_waiting", frozenset({("queue", "default")}))] == 4


def test_metrics_answer_without_a_family_whose_reading_at_scrape_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken() -> Iterator[Metric]:
        raise RuntimeError("the database is unreachable")
        yield  # a generator, like the others

    monkeypatch.setattr(metrics, "_AT_SCRAPE", [])
    metrics.at_scrape(broken)
    Client().get("/healthz")
    assert any(name == REQUESTS for name, _ in scrape())


@pytest.mark.django_db(transaction=True)
def test_sqlite_write_lock_wait_is_observed_when_a_transaction_writes(admin_api: Api) -> None:
    skips.engine_only("sqlite", "the write lock is SQLite's; PostgreSQL has the pool's figures")
    key = ("casedesk_sqlite_write_lock_wait_seconds_count", frozenset())
    before = scrape().get(key, 0.0)
    assert admin_api.post("/api/v1/teams", {"name": "Lock watchers"}).status_code == 201
    assert scrape()[key] > before


@pytest.mark.django_db(transaction=True)
def test_pool_metrics_count_the_connections_asked_of_the_pool_on_postgresql(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    skips.engine_only("postgresql", "SQLite has no connection pool")
    # Only this test's own connection: the families read at scrape (the job queue) would ask
    # the pool for theirs.
    monkeypatch.setattr(metrics, "_AT_SCRAPE", [])
    pool_sample()
    key = ("casedesk_db_pool_requests_total", frozenset())
    before = scrape().get(key, 0.0)
    connection.close()  # hands the connection back to the pool
    connection.ensure_connection()  # asks the pool for one
    connection.close()
    pool_sample()
    samples = scrape()
    assert samples[key] == before + 1
    assert (
        samples[("casedesk_db_pool_max_connections", frozenset())]
        == (connection.settings_dict["OPTIONS"]["pool"]["max_size"])
    )
