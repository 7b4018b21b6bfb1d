"""`casedesk backup` and `casedesk restore` on the configured engine, with real processes: a
round trip while serving, and every refusal that keeps data from being lost."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import httpx
import pytest

from tests.support import skips
from tests.support.processes import CASEDESK, ROOT, fresh_database_env, run, running_server

pytestmark = pytest.mark.slow

PASSWORD = "a-long-enough-pass-1"
HOLDER = str(Path(__file__).with_name("hold_database.py"))


def _postgres(env: dict[str, str]) -> bool:
    return env.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def _database_file(env: dict[str, str]) -> Path:
    return Path(env["CASEDESK_DATA_DIR"]) / "casedesk.sqlite3"


def _admin_url(env: dict[str, str]) -> str:
    return urlunparse(urlparse(env["DATABASE_URL"])._replace(path="/postgres"))


def _name(env: dict[str, str]) -> str:
    return urlparse(env["DATABASE_URL"]).path.lstrip("/")


def sql(env: dict[str, str], statement: str) -> list[tuple[Any, ...]]:
    """Run one statement on the environment's database, as an operator's shell would."""
    if _postgres(env):
        import psycopg

        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
            cursor = conn.execute(statement)
            return list(cursor.fetchall()) if cursor.description else []
    with contextlib.closing(sqlite3.connect(_database_file(env))) as db, db:
        return db.execute(statement).fetchall()


def usernames(env: dict[str, str]) -> set[str]:
    return {row[0] for row in sql(env, "SELECT username FROM casedesk_directory_user")}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A migrated database with the administrator `ops`, made once for the module."""
    with fresh_database_env(tmp_path_factory.mktemp("template"), migrated=True) as env:
        if _postgres(env):
            skips.require_program("pg_dump", "pg_dump", "postgresql-client")
        run(env, "user", "add", "ops", "--password-stdin", "--role", "admin", input=PASSWORD)
        yield env


@contextlib.contextmanager
def copy_of(template: dict[str, str], folder: Path) -> Iterator[dict[str, str]]:
    """An environment naming a new database with the template's content."""
    with fresh_database_env(folder) as env:
        if _postgres(env):
            import psycopg

            with psycopg.connect(_admin_url(env), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE "{_name(env)}"')
                conn.execute(f'CREATE DATABASE "{_name(env)}" TEMPLATE "{_name(template)}"')
        else:
            _database_file(env).parent.mkdir(parents=True)
            shutil.copyfile(_database_file(template), _database_file(env))
        yield env


@pytest.fixture(scope="module")
def template_backup(template: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A backup of the template: one user, `ops`."""
    target = tmp_path_factory.mktemp("backups") / "template.backup"
    run(template, "backup", str(target))
    return target


def backup_of_changed_copy(template: dict[str, str], folder: Path, statement: str) -> Path:
    """A backup of a copy of the template changed by one SQL statement."""
    target = folder / "changed.backup"
    with copy_of(template, folder / "source") as env:
        sql(env, statement)
        run(env, "backup", str(target))
    return target


def assert_refused(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    for word in words:
        assert word in done.stderr, done.stderr


def _token(http: httpx.Client) -> dict[str, str]:
    issued = http.post("/api/v1/auth/token", json={"username": "ops", "password": PASSWORD})
    return {"Authorization": f"Bearer {issued.json()['token']}"}


def _account_names(http: httpx.Client, auth: dict[str, str]) -> set[str]:
    return {a["name"] for a in http.get("/api/v1/accounts", headers=auth).json()["items"]}


# Backups


def test_backup_while_serving_then_restore_brings_back_exactly_that_state(
    tmp_path: Path, template: dict[str, str]
) -> None:
    with copy_of(template, tmp_path) as env:
        backup = tmp_path / "casedesk.backup"
        with running_server(env) as (base, _proc), httpx.Client(base_url=base) as http:
            auth = _token(http)
            kept = http.post("/api/v1/accounts", json={"name": "Kept"}, headers=auth)
            assert kept.status_code == 201
            out = run(env, "backup", str(backup))
            assert out.stdout.startswith("backup written")
            later = http.post("/api/v1/accounts", json={"name": "Later"}, headers=auth)
            assert later.status_code == 201
        refused = run(env, "backup", str(backup), check=False)
        assert refused.returncode == 1 and "exists" in refused.stderr
        run(env, "restore", "--force", str(backup))
        with running_server(env) as (base, _proc), httpx.Client(base_url=base) as http:
            assert _account_names(http, _token(http)) == {"Kept"}
        assert run(env, "check").returncode == 0


def test_backup_leaves_nothing_but_its_output_file_when_it_is_done(
    tmp_path: Path, template: dict[str, str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    run(template, "backup", str(out / "casedesk.backup"))
    assert sorted(p.name for p in out.iterdir()) == ["casedesk.backup"]


@pytest.fixture(scope="module")
def serving(
    template: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """A server writing to a copy of the template (SQLite only: there the database is a file)."""
    if _postgres(template):
        pytest.skip(skips.engine_reason("sqlite", "the live database is a file only there"))
    with (
        copy_of(template, tmp_path_factory.mktemp("serving")) as env,
        running_server(env) as (base, _proc),
        httpx.Client(base_url=base) as http,
    ):
        created = http.post("/api/v1/accounts", json={"name": "A"}, headers=_token(http))
        assert created.status_code == 201
        yield env


def _link(target: Path, link: Path) -> Path:
    link.symlink_to(target)
    return link


def _hard_link(target: Path, link: Path) -> Path:
    os.link(target, link)
    return link


# Each way of naming the live database (or a file SQLite keeps beside it): (the path given,
# the folder the command runs in).
LIVE_PATHS: dict[str, Callable[[Path, Path], tuple[str, Path]]] = {
    "its path": lambda db, tmp: (str(db), tmp),
    "a relative path": lambda db, tmp: (db.name, db.parent),
    "a relative path through ..": lambda db, tmp: (os.path.relpath(db, tmp), tmp),
    "a symbolic link": lambda db, tmp: (str(_link(db, tmp / "link.backup")), tmp),
    "a hard link": lambda db, tmp: (str(_hard_link(db, tmp / "hard.backup")), tmp),
    "its write-ahead log": lambda db, tmp: (f"{db}-wal", tmp),
    "its shared-memory file": lambda db, tmp: (f"{db}-shm", tmp),
    "a link to its log": lambda db, tmp: (str(_link(Path(f"{db}-wal"), tmp / "wal.backup")), tmp),
}


def _files(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_ino for p in folder.iterdir() if p.is_file()}


@pytest.mark.parametrize("naming", list(LIVE_PATHS))
def test_backup_refuses_the_live_database_when_forced(
    naming: str, tmp_path: Path, serving: dict[str, str]
) -> None:
    db = _database_file(serving)
    assert Path(f"{db}-wal").exists()  # the server has the database open
    path, folder = LIVE_PATHS[naming](db, tmp_path)
    before = _files(db.parent)
    done = subprocess.run(
        [CASEDESK, "backup", "--force", path],
        env=serving,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert_refused(done, "live database")
    assert _files(db.parent) == before


# Restores


def test_restore_refuses_while_a_server_is_running(
    tmp_path: Path, template: dict[str, str], template_backup: Path
) -> None:
    with (
        copy_of(template, tmp_path) as env,
        running_server(env) as (base, _proc),
        httpx.Client(base_url=base) as http,
    ):
        auth = _token(http)
        created = http.post("/api/v1/accounts", json={"name": "Acknowledged"}, headers=auth)
        assert created.status_code == 201
        done = run(env, "restore", "--force", str(template_backup), check=False)
        assert_refused(done, "in use")
        assert _account_names(http, auth) == {"Acknowledged"}


def test_restore_refuses_while_a_background_process_holds_the_database(
    tmp_path: Path, template: dict[str, str], template_backup: Path
) -> None:
    with copy_of(template, tmp_path) as env:
        run(env, "user", "add", "later", "--password-stdin", "--role", "agent", input=PASSWORD)
        holder = subprocess.Popen(
            [sys.executable, HOLDER],
            env={**env, "PYTHONPATH": ROOT, "DJANGO_SETTINGS_MODULE": "casedesk.settings"},
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert holder.stdout is not None and holder.stdin is not None
        try:
            assert holder.stdout.readline().strip() == "held"
            done = run(env, "restore", "--force", str(template_backup), check=False)
            assert_refused(done, "in use")
            assert usernames(env) == {"ops", "later"}
        finally:
            holder.stdin.close()
            holder.wait(timeout=30)
        # The holder gone, nothing stands in the way.
        run(env, "restore", "--force", str(template_backup))
        assert usernames(env) == {"ops"}


def test_restore_requires_force_when_the_database_has_users(
    tmp_path: Path, template: dict[str, str], template_backup: Path
) -> None:
    with copy_of(template, tmp_path) as env:
        run(env, "user", "add", "later", "--password-stdin", "--role", "agent", input=PASSWORD)
        done = run(env, "restore", str(template_backup), check=False)
        assert_refused(done, "--force")
        assert usernames(env) == {"ops", "later"}


def test_restore_needs_no_force_when_the_database_is_not_migrated(
    tmp_path: Path, template_backup: Path
) -> None:
    with fresh_database_env(tmp_path) as env:
        done = run(env, "restore", str(template_backup))
        assert "restored" in done.stdout
        assert usernames(env) == {"ops"}


def test_restore_refuses_a_backup_made_by_a_newer_version(
    tmp_path: Path, template: dict[str, str]
) -> None:
    newer = backup_of_changed_copy(
        template,
        tmp_path,
        "INSERT INTO django_migrations (app, name, applied)"
        " VALUES ('casedesk_cases', '9999_from_a_later_version', CURRENT_TIMESTAMP)",
    )
    with copy_of(template, tmp_path / "target") as env:
        run(env, "user", "add", "kept", "--password-stdin", "--role", "agent", input=PASSWORD)
        done = run(env, "restore", "--force", str(newer), check=False)
        assert_refused(done, "newer version", "9999_from_a_later_version")
        assert usernames(env) == {"ops", "kept"}


def test_restore_refuses_a_backup_whose_migration_history_is_empty(
    tmp_path: Path, template: dict[str, str]
) -> None:
    hollow = backup_of_changed_copy(template, tmp_path, "DELETE FROM django_migrations")
    with copy_of(template, tmp_path / "target") as env:
        run(env, "user", "add", "kept", "--password-stdin", "--role", "agent", input=PASSWORD)
        done = run(env, "restore", "--force", str(hollow), check=False)
        assert_refused(done, "not a casedesk backup")
        assert usernames(env) == {"ops", "kept"}


def test_restore_refuses_a_file_that_is_not_a_backup(
    tmp_path: Path, template: dict[str, str]
) -> None:
    with copy_of(template, tmp_path) as env:
        bogus = tmp_path / "bogus.db"
        bogus.write_text("not a database")
        done = run(env, "restore", "--force", str(bogus), check=False)
        assert_refused(done, "not a casedesk backup")
        assert usernames(env) == {"ops"}


def test_restore_takes_an_older_backup_over_a_current_database_and_says_to_migrate_it(
    tmp_path: Path, template: dict[str, str]
) -> None:
    older = tmp_path / "older.backup"
    with copy_of(template, tmp_path / "source") as source:
        run(source, "migrate", "casedesk_core", "0001_initial", "-v", "0")
        run(source, "backup", str(older))
    with copy_of(template, tmp_path / "target") as env:
        run(env, "user", "add", "later", "--password-stdin", "--role", "agent", input=PASSWORD)
        done = run(env, "restore", "--force", str(older))
        assert "casedesk migrate" in done.stdout
        # Nothing of the current schema is left over to trip the migration up.
        run(env, "migrate", "--no-input", "-v", "0")
        assert run(env, "check").returncode == 0
        assert usernames(env) == {"ops"}


def test_restore_that_fails_midway_leaves_the_database_as_it_was(
    tmp_path: Path, template: dict[str, str]
) -> None:
    if not _postgres(template):
        pytest.skip(skips.engine_reason("postgresql", "an archive with a grant to a role now gone"))
    role = f"casedesk_gone_{uuid.uuid4().hex[:8]}"
    sql(template, f"CREATE ROLE {role}")
    try:
        broken = backup_of_changed_copy(
            template, tmp_path, f"GRANT SELECT ON casedesk_directory_user TO {role}"
        )
    finally:
        # The grant lives in the copy (dropped with it); the role goes now.
        with contextlib.suppress(Exception):
            sql(template, f"DROP ROLE {role}")
    assert not sql(template, f"SELECT 1 FROM pg_roles WHERE rolname = '{role}'")
    with copy_of(template, tmp_path / "target") as env:
        run(env, "user", "add", "kept", "--password-stdin", "--role", "agent", input=PASSWORD)
        done = run(env, "restore", "--force", str(broken), check=False)
        assert_refused(done, "changed nothing", role)
        assert "Command was" not in done.stderr
        assert usernames(env) == {"ops", "kept"}
        assert run(env, "check").returncode == 0


def test_restore_refuses_the_live_database_as_its_source(
    tmp_path: Path, template: dict[str, str]
) -> None:
    if _postgres(template):
        pytest.skip(skips.engine_reason("sqlite", "the live database is a file only there"))
    with copy_of(template, tmp_path) as env:
        done = run(env, "restore", "--force", str(_database_file(env)), check=False)
        assert_refused(done, "live database")
