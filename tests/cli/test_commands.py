"""The command line, run as a user runs it: the installed `casedesk` script."""

from __future__ import annotations

import os
import pty
import select
import signal
import time
from pathlib import Path

import pytest

from tests.support import skips
from tests.support.processes import CASEDESK, fresh_database_env, run

pytestmark = pytest.mark.slow

PW = "a-long-enough-pass-1"


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    with fresh_database_env(tmp_path_factory.mktemp("cli"), migrated=True) as env:
        yield env


def test_user_add_creates_a_user_with_role_and_teams(cli_env: dict[str, str]) -> None:
    out = run(
        cli_env,
        "user",
        "add",
        "maria",
        "--password-stdin",
        "--role",
        "manager",
        "--team",
        "Tier 1",
        "--team",
        "Billing",
        input=PW + "\n",
    )
    assert out.stdout.startswith("created user maria (manager)")
    listed = run(cli_env, "user", "list").stdout
    assert "maria\tmanager" in listed


def test_token_prints_only_the_token(cli_env: dict[str, str]) -> None:
    run(cli_env, "user", "add", "tok", "--password-stdin", input=PW)
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
        (["user", "add", "x", "--password-stdin", "--role", "boss"], "role"),
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
    run(cli_env, "user", "add", "upd", "--password-stdin", input=PW)
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
    run(cli_env, "user", "add", "gone", "--password-stdin", input=PW)
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
    run(cli_env, "user", "add", "pw", "--password-stdin", input=PW)
    out = run(cli_env, "user", "password", "pw", "--password-stdin", input="another-long-pass-2\n")
    assert out.stdout.startswith("set the password of pw")
    assert _signs_in(cli_env, "pw", "another-long-pass-2")
    weak = run(cli_env, "user", "password", "pw", "--password-stdin", input="short\n", check=False)
    assert weak.returncode == 1 and weak.stderr.startswith("casedesk user: password:")


def test_the_last_active_administrator_is_not_deactivated(cli_env: dict[str, str]) -> None:
    run(cli_env, "user", "add", "root", "--password-stdin", "--role", "admin", input=PW)
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
        (["user", "password", "nobody"], "nobody"),
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
    run(cli_env, "user", "add", "dup", "--password-stdin", input=PW)
    out = run(cli_env, "user", "add", "dup", "--password-stdin", input=PW, check=False)
    assert out.returncode == 1 and "taken" in out.stderr


def test_check_passes_on_a_fresh_database(cli_env: dict[str, str]) -> None:
    out = run(cli_env, "check")
    assert out.stdout.startswith("ok:")


def test_check_reports_a_violation_and_exits_non_zero(tmp_path: Path) -> None:
    with fresh_database_env(tmp_path, migrated=True) as env:
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


def _signs_in(env: dict[str, str], name: str, password: str) -> bool:
    """Whether `name` signs in with `password` (the service the sign-in form calls)."""
    code = (
        "from casedesk.directory import services\n"
        "try:\n"
        f"    services.login_verify(username={name!r}, password={password!r}, address='cli')\n"
        "    print('yes')\n"
        "except Exception as exc:\n"
        "    print('no', exc)\n"
    )
    return run(env, "shell", "--no-imports", "-c", code).stdout.strip().splitlines()[-1] == "yes"


def _in_terminal(env: dict[str, str], args: list[str], answers: list[str]) -> tuple[int, str]:
    """Run `casedesk ARGS` in a terminal of its own, typing each answer at the next
    "Password" prompt; its exit status and everything the terminal showed."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: become casedesk at once
        os.execve(CASEDESK, [CASEDESK, *args], env)
    shown, typed = b"", 0
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _w, _x = select.select([fd], [], [], 1)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child has gone: the terminal is closed
                break
            if not chunk:
                break
            shown += chunk
            if typed < len(answers) and shown.count(b"Password") > typed:
                os.write(fd, answers[typed].encode() + b"\n")
                typed += 1
        else:
            os.kill(pid, signal.SIGKILL)
    finally:
        _pid, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), shown.decode(errors="replace")


def test_user_add_reads_the_password_from_standard_input_when_given_password_stdin(
    cli_env: dict[str, str],
) -> None:
    out = run(cli_env, "user", "add", "stdin1", "--password-stdin", input=f"{PW}\nignored\n")
    assert out.stdout.startswith("created user stdin1") and out.stderr == ""
    assert _signs_in(cli_env, "stdin1", PW)


def test_user_add_keeps_spaces_of_the_password_when_it_comes_from_standard_input(
    cli_env: dict[str, str],
) -> None:
    out = run(
        cli_env, "user", "add", "blank", "--password-stdin", input=" " * 12 + "\n", check=False
    )
    assert out.returncode == 1
    assert out.stderr.startswith("casedesk user: password:") and len(out.stderr.splitlines()) == 1


def test_user_add_warns_in_one_line_on_stderr_when_the_password_is_on_the_command_line(
    cli_env: dict[str, str],
) -> None:
    out = run(cli_env, "user", "add", "oldstyle", "--password", PW)
    assert out.stdout.startswith("created user oldstyle")
    lines = out.stderr.splitlines()
    assert len(lines) == 1
    assert "other users of this machine" in lines[0] and "--password-stdin" in lines[0]
    assert _signs_in(cli_env, "oldstyle", PW)


def test_user_add_asks_twice_without_echo_when_run_in_a_terminal(
    cli_env: dict[str, str],
) -> None:
    status, shown = _in_terminal(cli_env, ["user", "add", "typed"], [PW, PW])
    assert status == 0, shown
    assert "created user typed" in shown and PW not in shown
    assert _signs_in(cli_env, "typed", PW)


def test_user_add_is_refused_when_the_two_typed_passwords_differ(
    cli_env: dict[str, str],
) -> None:
    status, shown = _in_terminal(cli_env, ["user", "add", "typo"], [PW, PW + "x"])
    assert status == 1, shown
    assert "casedesk user: the two passwords differ" in shown
    assert "no user named" in run(cli_env, "user", "unlock", "typo", check=False).stderr


def test_user_add_is_refused_in_one_line_when_no_password_is_given_outside_a_terminal(
    cli_env: dict[str, str],
) -> None:
    out = run(cli_env, "user", "add", "nopw", check=False)
    assert out.returncode == 1
    lines = out.stderr.splitlines()
    assert len(lines) == 1 and "--password-stdin" in lines[0], out.stderr


def test_user_password_asks_twice_when_run_in_a_terminal(cli_env: dict[str, str]) -> None:
    run(cli_env, "user", "add", "retype", "--password-stdin", input=PW)
    status, shown = _in_terminal(
        cli_env, ["user", "password", "retype"], ["another-long-pass-3"] * 2
    )
    assert status == 0, shown
    assert _signs_in(cli_env, "retype", "another-long-pass-3")


def test_user_add_refuses_in_one_line_a_name_with_a_newline(cli_env: dict[str, str]) -> None:
    out = run(
        cli_env, "user", "add", "evil\nroot\tadmin", "--password-stdin", input=PW, check=False
    )
    assert out.returncode == 1
    lines = out.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("casedesk user: username:"), out.stderr
    assert "evil" not in run(cli_env, "user", "list").stdout


def test_user_unlock_lets_the_user_sign_in_at_once_when_their_name_waits(
    cli_env: dict[str, str],
) -> None:
    run(cli_env, "user", "add", "locked", "--password-stdin", input=PW)
    fail = (
        "from casedesk.directory.services import signin\n"
        "for _ in range(15):\n"
        "    signin.login_failure_record(username='locked', address='203.0.113.9')\n"
    )
    run(cli_env, "shell", "--no-imports", "-c", fail)
    assert not _signs_in(cli_env, "locked", PW)
    out = run(cli_env, "user", "unlock", "locked")
    assert out.stdout.startswith("unlocked user locked")
    assert _signs_in(cli_env, "locked", PW)


def test_user_unlock_is_refused_in_one_line_when_the_user_does_not_exist(
    cli_env: dict[str, str],
) -> None:
    out = run(cli_env, "user", "unlock", "nobody", check=False)
    assert out.returncode == 1
    assert out.stderr.splitlines() == ["casedesk user: no user named 'nobody'"]


def test_user_list_keeps_each_user_on_one_line_when_an_older_name_holds_a_newline(
    cli_env: dict[str, str],
) -> None:
    made_before_the_rule = (
        "from casedesk.directory.models import User\n"
        "User.objects.create(username='legacy\\nforged\\tadmin', role='agent')\n"
    )
    run(cli_env, "shell", "--no-imports", "-c", made_before_the_rule)
    lines = run(cli_env, "user", "list").stdout.splitlines()
    legacy = [line for line in lines if line.startswith("legacy")]
    assert len(legacy) == 1 and legacy[0].startswith("legacy\\nforged\\tadmin\tagent\t"), lines
    assert not any(line.startswith("forged") for line in lines)
