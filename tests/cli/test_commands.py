"""The command line, run as a user runs it: the installed `casedesk` script."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import skips
from tests.support.processes import fresh_database_env, run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    with fresh_database_env(tmp_path_factory.mktemp("cli")) as env:
        run(env, "migrate", "--no-input", "-v", "0")
        yield env


def test_user_add_creates_a_user_with_role_and_teams(cli_env: dict[str, str]) -> None:
    out = run(
        cli_env,
        "user",
        "add",
        "maria",
        "--password",
        "a-long-enough-pass-1",
        "--role",
        "manager",
        "--team",
        "Tier 1",
        "--team",
        "Billing",
    )
    assert out.stdout.startswith("created user maria (manager)")
    listed = run(cli_env, "user", "list").stdout
    assert "maria\tmanager" in listed


def test_token_prints_only_the_token(cli_env: dict[str, str]) -> None:
    run(cli_env, "user", "add", "tok", "--password", "a-long-enough-pass-1")
    out = run(cli_env, "token", "tok")
    lines = out.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("cd_") and len(lines[0]) > 40
    second = run(cli_env, "token", "tok").stdout.strip()
    assert second != lines[0]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["user", "add", "weak", "--password", "short"], "password"),
        (["user", "add"], "required"),
        (["user", "add", "x", "--password", "a-long-enough-pass-1", "--role", "boss"], "role"),
        (["token", "nobody"], "nobody"),
        (["token"], "required"),
        (["serve", "--port", "70000"], "port"),
        (["no-such-command"], "unknown command"),
    ],
)
def test_bad_input_exits_non_zero_with_one_line_on_stderr(
    cli_env: dict[str, str], args: list[str], fragment: str
) -> None:
    out = run(cli_env, *args, check=False)
    assert out.returncode != 0
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert fragment in lines[0]
    assert lines[0].startswith("casedesk")


def test_user_update_changes_the_role_name_e_mail_and_language(cli_env: dict[str, str]) -> None:
    run(cli_env, "user", "add", "upd", "--password", "a-long-enough-pass-1")
    out = run(
        cli_env,
        "user",
        "update",
        "upd",
        "--role",
        "manager",
        "--full-name",
        "Ugo Pardi",
        "--email",
        "ugo@example.com",
        "--language",
        "it",
    )
    assert out.stdout.startswith("updated user upd (manager, active)")
    assert "upd\tmanager" in run(cli_env, "user", "list").stdout


def test_user_deactivate_and_reactivate(cli_env: dict[str, str]) -> None:
    run(cli_env, "user", "add", "gone", "--password", "a-long-enough-pass-1")
    out = run(cli_env, "user", "deactivate", "gone")
    assert out.stdout.startswith("updated user gone (agent, inactive)")
    listed = run(cli_env, "user", "list").stdout.splitlines()
    assert any(line.startswith("gone\t") and line.endswith("\tinactive") for line in listed)
    refused = run(cli_env, "token", "gone", check=False)
    assert refused.returncode == 1 and "deactivated" in refused.stderr
    run(cli_env, "user", "reactivate", "gone")
    listed = run(cli_env, "user", "list").stdout.splitlines()
    assert any(line.startswith("gone\t") and "inactive" not in line for line in listed)
    assert run(cli_env, "token", "gone").stdout.startswith("cd_")


def test_user_password_sets_a_password_checked_by_the_policy(cli_env: dict[str, str]) -> None:
    run(cli_env, "user", "add", "pw", "--password", "a-long-enough-pass-1")
    out = run(cli_env, "user", "password", "pw", "--password", "another-long-pass-2")
    assert out.stdout.startswith("set the password of pw")
    weak = run(cli_env, "user", "password", "pw", "--password", "short", check=False)
    assert weak.returncode == 1 and weak.stderr.startswith("casedesk user: password:")


def test_the_last_active_administrator_is_not_deactivated(cli_env: dict[str, str]) -> None:
    run(cli_env, "user", "add", "root", "--password", "a-long-enough-pass-1", "--role", "admin")
    out = run(cli_env, "user", "deactivate", "root", check=False)
    assert out.returncode == 1
    assert "last active administrator" in out.stderr and len(out.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["user", "update", "nobody", "--role", "agent"], "nobody"),
        (["user", "update", "nobody"], "nothing to change"),
        (["user", "update", "x", "--role", "boss"], "role"),
        (["user", "update", "x", "--language", "fr"], "language"),
        (["user", "deactivate"], "required"),
        (["user", "password", "x"], "required"),
    ],
)
def test_bad_user_changes_exit_non_zero_with_one_line_on_stderr(
    cli_env: dict[str, str], args: list[str], fragment: str
) -> None:
    out = run(cli_env, *args, check=False)
    assert out.returncode != 0
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("casedesk"), out.stderr
    assert fragment in lines[0]


def test_duplicate_user_is_refused(cli_env: dict[str, str]) -> None:
    run(cli_env, "user", "add", "dup", "--password", "a-long-enough-pass-1")
    out = run(cli_env, "user", "add", "dup", "--password", "a-long-enough-pass-1", check=False)
    assert out.returncode == 1 and "taken" in out.stderr


def test_check_passes_on_a_fresh_database(cli_env: dict[str, str]) -> None:
    out = run(cli_env, "check")
    assert out.stdout.startswith("ok:")


def test_check_reports_a_violation_and_exits_non_zero(tmp_path: Path) -> None:
    with fresh_database_env(tmp_path) as env:
        run(env, "migrate", "--no-input", "-v", "0")
        skips.engine_only("sqlite", "breaks a foreign key through SQLite's own file")
        import sqlite3

        db = Path(env["CASEDESK_DATA_DIR"]) / "casedesk.sqlite3"
        with sqlite3.connect(db) as conn:
            conn.execute("PRAGMA journal_mode=DELETE")
        # Each casedesk connection re-enables WAL; a dangling foreign key is a real violation.
        with sqlite3.connect(db) as conn:
            conn.execute("PRAGMA foreign_keys=OFF")
            conn.execute(
                "INSERT INTO casedesk_core_auditentry (at, actor_id, action, channel, entity_type,"
                " entity_id, changes, details)"
                " VALUES ('2026-01-01', ?, 'x', 'api', 'x', ?, '{}', '{}')",
                ("f" * 32, "0" * 32),
            )
        out = run(env, "check", check=False)
        assert out.returncode == 1
        assert "foreign key" in out.stderr


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    with fresh_database_env(tmp_path) as env:
        out = run(env, "serve", "--port", "8999", check=False)
        assert out.returncode == 1
        assert "migrate" in out.stderr


def test_deployment_check_is_clean_behind_https(cli_env: dict[str, str]) -> None:
    env = dict(cli_env, CASEDESK_HTTPS="1")
    out = run(env, "check", "--deploy", check=False)
    assert out.returncode == 0, out.stderr
    plain = run(cli_env, "check", "--deploy", check=False)
    assert plain.returncode == 1
    assert "deploy: security." in plain.stderr
