"""A test that cannot run fails, or, when the developer opted out, is skipped and counted;
engine-specific skips are counted; any other skip fails the run (tests/support/skips.py)."""

from __future__ import annotations

import pytest

PLUGINS = ("-p", "tests.support.skips", "-p", "no:django", "-p", "no:xdist")


def _run(pytester: pytest.Pytester, body: str) -> pytest.RunResult:
    pytester.makepyfile(
        test_inner=f"""
import pytest
from tests.support import skips

def test_inner():
    {body}
"""
    )
    return pytester.runpytest(*PLUGINS)


def test_a_test_needing_a_missing_program_fails_when_nobody_opted_out(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CASEDESK_TEST_ALLOW_SKIP", raising=False)
    result = _run(pytester, 'skips.require_program("browser", "/nonexistent/chromium", "chromium")')
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*/nonexistent/chromium is not installed*make system-deps*"])


def test_a_test_needing_a_missing_program_is_skipped_and_counted_when_opted_out(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASEDESK_TEST_ALLOW_SKIP", "mail,browser")
    result = _run(pytester, 'skips.require_program("browser", "/nonexistent/chromium", "chromium")')
    result.assert_outcomes(skipped=1)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "*= 1 tests did not run =*",
            "*1  CASEDESK_TEST_ALLOW_SKIP=browser: /nonexistent/chromium is not installed*",
            "*1 tests were skipped because CASEDESK_TEST_ALLOW_SKIP is set*",
        ]
    )


def test_a_skip_on_the_other_engine_is_counted_and_passes(pytester: pytest.Pytester) -> None:
    result = _run(pytester, 'pytest.skip(skips.engine_reason("sqlite", "a pragma"))')
    result.assert_outcomes(skipped=1)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*= 1 tests did not run =*", "*1  SQLite only: a pragma"])


def test_a_skip_for_any_other_reason_fails_the_run(pytester: pytest.Pytester) -> None:
    result = _run(pytester, 'pytest.skip("not today")')
    result.assert_outcomes(skipped=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*1  not today", "*skipped for a reason other than*run fails*"])
