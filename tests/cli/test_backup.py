"""`casedesk backup` and `casedesk restore`: a round trip, online, on the configured engine."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support import skips
from tests.support.processes import fresh_database_env, run, running_server

pytestmark = pytest.mark.slow

PASSWORD = "a-long-enough-pass-1"


def test_backup_while_serving_then_restore_brings_back_exactly_that_state(tmp_path: Path) -> None:
    with fresh_database_env(tmp_path) as env:
        if "DATABASE_URL" in env:
            skips.require_program("pg_dump", "pg_dump", "postgresql-client")
        run(env, "migrate", "--no-input", "-v", "0")
        run(env, "user", "add", "ops", "--password", PASSWORD, "--role", "admin")
        backup = tmp_path / "casedesk.backup"
        with running_server(env) as (base, _proc), httpx.Client(base_url=base) as http:
            token = http.post(
                "/api/v1/auth/token", json={"username": "ops", "password": PASSWORD}
            ).json()["token"]
            auth = {"Authorization": f"Bearer {token}"}
            kept = http.post("/api/v1/accounts", json={"name": "Kept"}, headers=auth)
            assert kept.status_code == 201
            out = run(env, "backup", str(backup))
            assert out.stdout.startswith("backup written")
            later = http.post("/api/v1/accounts", json={"name": "Later"}, headers=auth)
            assert later.status_code == 201
        refused = run(env, "backup", str(backup), check=False)
        assert refused.returncode == 1 and "exists" in refused.stderr
        run(env, "restore", str(backup))
        with running_server(env) as (base, _proc), httpx.Client(base_url=base) as http:
            token = http.post(
                "/api/v1/auth/token", json={"username": "ops", "password": PASSWORD}
            ).json()["token"]
            names = {
                a["name"]
                for a in http.get(
                    "/api/v1/accounts", headers={"Authorization": f"Bearer {token}"}
                ).json()["items"]
            }
        assert names == {"Kept"}
        assert run(env, "check").returncode == 0


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path) -> None:
    with fresh_database_env(tmp_path) as env:
        run(env, "migrate", "--no-input", "-v", "0")
        bogus = tmp_path / "bogus.db"
        bogus.write_text("not a database")
        out = run(env, "restore", str(bogus), check=False)
        assert out.returncode == 1
        assert len(out.stderr.strip().splitlines()) == 1
