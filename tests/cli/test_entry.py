"""What the `casedesk` command offers: the product's commands first, and a refusal naming the
casedesk command to use for the framework's commands that would erase data or go around
casedesk's rules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from casedesk.cli import entry
from tests.support.processes import fresh_database_env, run

PRODUCT = ["user", "token", "serve", "check", "demo", "backup", "restore", "import", "migrate"]
REFUSED = [
    ("flush", "casedesk restore"),
    ("sqlflush", "casedesk restore"),
    ("reset_db", "casedesk restore"),
    ("remove_stale_contenttypes", "casedesk check"),
    ("loaddata", "casedesk import"),
    ("dbshell", "casedesk backup"),
    ("createsuperuser", "casedesk user add NAME --role admin"),
    ("changepassword", "casedesk user password"),
    ("runserver", "casedesk serve"),
    ("testserver", "casedesk serve"),
]


def _listed_commands(help_text: str) -> list[str]:
    section = help_text.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in section.splitlines()]


def _help(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert entry.run(["casedesk", *args]) == 0
    return capsys.readouterr().out


def test_help_lists_the_product_commands_first_when_asked_with_dash_dash_help(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = _help(capsys, "--help")
    listed = _listed_commands(text)
    assert listed[:3] == ["user", "token", "serve"]
    assert [name for name in listed if name in PRODUCT] == PRODUCT
    assert text.index("Commands:") < text.index("Framework commands")


def test_help_advertises_no_command_that_erases_data_or_serves_for_development(
    capsys: pytest.CaptureFixture[str],
) -> None:
    words = set(re.findall(r"[a-z_]+", _help(capsys, "--help")))
    assert words.isdisjoint(name for name, _ in REFUSED)


def test_help_typed_as_a_command_prints_the_same_help(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _help(capsys, "help") == _help(capsys, "--help")


@pytest.mark.slow
def test_flush_is_refused_with_one_line_naming_restore_and_erases_nothing(
    tmp_path: Path,
) -> None:
    with fresh_database_env(tmp_path, migrated=True) as env:
        run(env, "user", "add", "kept", "--password-stdin", input="a-long-enough-pass-1")
        out = run(env, "flush", "--no-input", check=False)
        assert out.returncode == 2
        assert out.stdout == ""
        assert len(out.stderr.splitlines()) == 1 and "casedesk restore" in out.stderr
        assert "kept" in run(env, "user", "list").stdout


@pytest.mark.parametrize(("name", "instead"), REFUSED)
def test_a_framework_command_that_erases_or_bypasses_is_refused_naming_the_casedesk_one(
    capsys: pytest.CaptureFixture[str], name: str, instead: str
) -> None:
    assert entry.run(["casedesk", name, "--no-input"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"casedesk {name}: ") and len(err.splitlines()) == 1
    assert instead in err


@pytest.mark.parametrize(("name", "instead"), REFUSED[:1])
def test_help_of_a_refused_command_is_refused_too(
    capsys: pytest.CaptureFixture[str], name: str, instead: str
) -> None:
    assert entry.run(["casedesk", "help", name]) == 2
    assert instead in capsys.readouterr().err


def test_version_prints_the_version_of_casedesk(capsys: pytest.CaptureFixture[str]) -> None:
    assert entry.run(["casedesk", "--version"]) == 0
    assert re.fullmatch(r"casedesk \d+\.\d+\.\d+\S*\n", capsys.readouterr().out)


@pytest.mark.django_db
def test_framework_maintenance_commands_still_run(capsys: pytest.CaptureFixture[str]) -> None:
    assert entry.run(["casedesk", "showmigrations", "casedesk_cases", "--list"]) == 0
    assert "[X] 0001_initial" in capsys.readouterr().out
