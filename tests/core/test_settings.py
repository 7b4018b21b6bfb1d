from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.support import skips


@pytest.mark.django_db
def test_sqlite_connection_uses_wal_normal_sync_and_foreign_keys_when_on_sqlite() -> None:
    skips.engine_only("sqlite", "the connection's pragmas")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 1
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 20000
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] == 20


@pytest.mark.django_db(transaction=True)  # autocommit, as a server thread between requests
def test_sqlite_connection_outlives_a_request_with_a_bounded_page_cache() -> None:
    skips.engine_only("sqlite", "persistent connections with a page cache")
    from django.core.signals import request_finished, request_started

    db = settings.DATABASES["default"]
    assert db["CONN_MAX_AGE"] and db["CONN_HEALTH_CHECKS"]
    connection.ensure_connection()
    before = connection.connection
    # What the server's handler does around each request (the test client does not).
    request_started.send(sender=None)
    request_finished.send(sender=None)
    assert connection.connection is before
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        pages_or_kib = cursor.fetchone()[0]
    assert -16000 <= pages_or_kib < 0  # at most 16 MB of pages per connection


def test_postgresql_uses_a_bounded_pool_when_on_postgresql() -> None:
    db = settings.DATABASES["default"]
    skips.engine_only("postgresql", "the connection pool")
    pool = db["OPTIONS"]["pool"]
    assert pool["min_size"] == 1
    assert 1 <= pool["max_size"] <= 32
    assert db["CONN_MAX_AGE"] == 0


@pytest.mark.parametrize(("setting", "prepared"), [(None, True), ("1", True), ("0", False)])
def test_postgresql_prepares_statements_unless_turned_off(
    monkeypatch: pytest.MonkeyPatch, setting: str | None, prepared: bool
) -> None:
    """Parameters bound on the server and statements prepared on a connection's second run
    (docs/deployment.md, "Connection pooling"); `CASEDESK_DB_PREPARED_STATEMENTS=0` for a
    pooler that does not keep them. SQLite is never given them."""
    from casedesk.settings import _database

    monkeypatch.setenv("DATABASE_URL", "postgres://casedesk@db.example:5432/casedesk")
    if setting is None:
        monkeypatch.delenv("CASEDESK_DB_PREPARED_STATEMENTS", raising=False)
    else:
        monkeypatch.setenv("CASEDESK_DB_PREPARED_STATEMENTS", setting)
    options = _database()["OPTIONS"]
    assert options.get("server_side_binding", False) is prepared
    assert options.get("prepare_threshold") == (2 if prepared else None)
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/casedesk-settings-test.sqlite3")
    assert "prepare_threshold" not in _database()["OPTIONS"]


@pytest.mark.django_db
def test_postgresql_statements_with_parameters_run_prepared_on_postgresql() -> None:
    skips.engine_only("postgresql", "prepared statements")
    from casedesk.cases.models import Case

    assert settings.DATABASES["default"]["OPTIONS"]["server_side_binding"] is True
    for _ in range(3):
        assert list(Case.objects.filter(number=-1).values_list("id", flat=True)) == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone()[0] >= 1


def test_sqlite_test_database_is_a_file_so_other_processes_see_it() -> None:
    db = settings.DATABASES["default"]
    skips.engine_only("sqlite", "the test database file")
    assert db["TEST"]["NAME"].endswith(".sqlite3")
    assert Path(db["NAME"]).is_absolute()


def _settings_in_child(env: dict[str, str], expr: str) -> str:
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE']='casedesk.settings';"
        "from django.conf import settings;"
        f"print({expr})"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


@pytest.mark.slow
def test_secret_key_is_generated_once_and_shared_when_many_processes_start_together(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CASEDESK_SECRET_KEY"}
    env["CASEDESK_DATA_DIR"] = str(tmp_path)
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE']='casedesk.settings';"
        "from django.conf import settings; print(settings.SECRET_KEY)"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(6)
    ]
    keys = {p.communicate()[0].strip() for p in procs}
    assert len(keys) == 1
    key_file = tmp_path / "secret_key"
    assert key_file.read_text().strip() == keys.pop()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"


@pytest.mark.slow
def test_allowed_hosts_are_loopback_plus_configured_extras(tmp_path: Path) -> None:
    env = dict(
        os.environ,
        CASEDESK_DATA_DIR=str(tmp_path),
        CASEDESK_ALLOWED_HOSTS="desk.example.com, other.example.com",
    )
    hosts = _settings_in_child(env, "','.join(settings.ALLOWED_HOSTS)").split(",")
    assert hosts == ["localhost", "127.0.0.1", "[::1]", "desk.example.com", "other.example.com"]


@pytest.mark.slow
def test_https_turns_on_secure_cookies_and_hsts(tmp_path: Path) -> None:
    env = dict(os.environ, CASEDESK_DATA_DIR=str(tmp_path), CASEDESK_HTTPS="1")
    out = _settings_in_child(
        env,
        "settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, "
        "settings.SECURE_HSTS_SECONDS > 0, settings.SECURE_SSL_REDIRECT",
    )
    assert out == "True True True True"


@pytest.mark.slow
def test_debug_is_off_by_default(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CASEDESK_DEBUG"}
    env["CASEDESK_DATA_DIR"] = str(tmp_path)
    assert _settings_in_child(env, "settings.DEBUG") == "False"
