from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, settings

# Every test that did not run is counted, by reason, in the summary; a skip for a reason other
# than the database engine or an explicit opt-out fails the run (tests/support/skips.py).
pytest_plugins = ["tests.support.skips", "tests.support.slow", "pytester"]

settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    max_examples=40,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
# `make test-fast`: the same properties on fewer examples (the whole suite runs the "ci" ones).
settings.register_profile("fast", parent=settings.get_profile("ci"), max_examples=8)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

PASSWORD = "correct-horse-battery-9"


@pytest.fixture(scope="session")
def django_db_modify_db_settings_xdist_suffix(request: pytest.FixtureRequest) -> None:
    """Under pytest-xdist, a test database per worker, as pytest-django names it, but with an
    SQLite file's extension kept last (test_casedesk_gw0.sqlite3). SQLite's test database is
    in memory unless a file is named: each worker process has its own, as one process has
    without xdist."""
    worker = getattr(request.config, "workerinput", {}).get("workerid")
    if not worker:
        return
    from django.conf import settings as django_settings

    for db in django_settings.DATABASES.values():
        test = db.setdefault("TEST", {})
        if db["ENGINE"] == "django.db.backends.sqlite3" and not test.get("NAME"):
            continue
        name = str(test.get("NAME") or f"test_{db['NAME']}")
        path = Path(name)
        if path.suffix == ".sqlite3":
            test["NAME"] = str(path.with_name(f"{path.stem}_{worker}{path.suffix}"))
        else:
            test["NAME"] = f"{name}_{worker}"


class Api:
    """A JSON client for /api/v1 with a bearer token."""

    def __init__(self, client: Client, token: str | None = None) -> None:
        self.client = client
        self.token = token

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.token:
            out["Authorization"] = f"Bearer {self.token}"
        out.update(headers or {})
        return out

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: str | bytes | None = None,
        headers: dict[str, str] | None = None,
        **query: Any,
    ) -> Any:
        url = path if path.startswith("/") else f"/api/v1/{path}"
        func = getattr(self.client, method.lower())
        kwargs: dict[str, Any] = {"headers": self._headers(headers)}
        if method.upper() in {"GET", "DELETE"} and body is None and raw is None:
            return func(url, query or None, **kwargs)
        if query:
            from urllib.parse import urlencode

            url = f"{url}?{urlencode(query)}"
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return func(url, data=data, content_type="application/json", **kwargs)

    def get(self, path: str, **kw: Any) -> Any:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.call("POST", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.call("PATCH", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.call("PUT", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.call("DELETE", path, **kw)


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)
    return body["error"]


@pytest.fixture
def make_user(db: None) -> Callable[..., Any]:
    from casedesk.directory import services
    from casedesk.directory.access import SYSTEM

    counter = {"n": 0}

    def make(
        role: str = "agent",
        username: str | None = None,
        teams: list[str] | None = None,
        **extra: Any,
    ) -> Any:
        counter["n"] += 1
        name = username or f"{role}{counter['n']}"
        return services.user_create(
            actor=SYSTEM,
            username=name,
            password=PASSWORD,
            role=role,
            team_names=teams or [],
            **extra,
        )

    return make


@pytest.fixture
def make_api(db: None) -> Callable[..., Api]:
    from casedesk.directory import services

    def make(user: Any) -> Api:
        _token, secret = services.token_create(user=user)
        return Api(Client(), secret)

    return make


@pytest.fixture
def agent(make_user: Callable[..., Any]) -> Any:
    return make_user("agent", full_name="Anna Agente")


@pytest.fixture
def manager(make_user: Callable[..., Any]) -> Any:
    return make_user("manager", full_name="Marco Manager")


@pytest.fixture
def admin(make_user: Callable[..., Any]) -> Any:
    return make_user("admin", full_name="Ada Admin")


@pytest.fixture
def agent_api(make_api: Callable[..., Api], agent: Any) -> Api:
    return make_api(agent)


@pytest.fixture
def manager_api(make_api: Callable[..., Api], manager: Any) -> Api:
    return make_api(manager)


@pytest.fixture
def admin_api(make_api: Callable[..., Api], admin: Any) -> Api:
    return make_api(admin)


@pytest.fixture
def anon_api() -> Api:
    return Api(Client())


class FakeClock:
    """The injected clock (casedesk/core/clock.py) held still, moved on by the test."""

    def __init__(self, start: Any) -> None:
        self.at = start

    def now(self) -> Any:
        return self.at

    def advance(self, seconds: float) -> None:
        from datetime import timedelta

        self.at += timedelta(seconds=seconds)


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """`clock.now()` answers a time that moves only when the test calls `advance`."""
    from casedesk.core import clock

    fake = FakeClock(clock.now())
    monkeypatch.setattr(clock, "now", fake.now)
    return fake


@pytest.fixture(autouse=True)
def isolated_storage(tmp_path: Path) -> Iterator[Path]:
    """The default file storage (attachments) in a folder of each test's own, so that files of
    a rolled-back test do not outlive it (and `casedesk check` of a later test does not find
    files without records)."""
    from django.conf import settings as django_settings
    from django.test import override_settings

    location = tmp_path / "files"
    storages = {
        **django_settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }
    with override_settings(STORAGES=storages):
        yield location
