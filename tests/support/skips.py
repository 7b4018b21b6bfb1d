"""The only ways a test may not run, each counted in the run's summary (tests/conftest.py).

- It checks what one database engine does: `engine_only` skips it on the other one.
- It drives a program that is not installed: `require_program` FAILS it, unless the developer
  opted out of that area with CASEDESK_TEST_ALLOW_SKIP (a comma-separated list of areas:
  browser, mail, pg_dump), which skips it instead. `make system-deps` installs the programs.

Any other skip fails the run. As a pytest plugin (tests/conftest.py loads it), this module
counts the tests that did not run, by reason, at the end of the run's summary.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from typing import Any

import pytest

ALLOW_SKIP = "CASEDESK_TEST_ALLOW_SKIP"
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
ENGINE_PREFIXES = tuple(f"{name} only: " for name in ENGINE_NAMES.values())
OPTED_OUT_PREFIX = f"{ALLOW_SKIP}="


def engine_reason(vendor: str, why: str) -> str:
    return f"{ENGINE_NAMES[vendor]} only: {why}"


def engine_only(vendor: str, why: str) -> None:
    """Skip the calling test unless the tests run on `vendor` ("sqlite" or "postgresql")."""
    __tracebackhide__ = True  # the summary names the test, not this line
    from django.db import connection

    if connection.vendor != vendor:
        pytest.skip(engine_reason(vendor, why))


def opted_out(area: str) -> bool:
    return area in {a.strip() for a in os.environ.get(ALLOW_SKIP, "").split(",")}


def require_program(area: str, program: str, package: str) -> None:
    """Fail the calling test when `program` (a path, or a name on PATH) is not installed."""
    __tracebackhide__ = True
    found = os.access(program, os.X_OK) if os.path.isabs(program) else shutil.which(program)
    if found:
        return
    missing = f"{program} is not installed (Debian package {package})"
    if opted_out(area):
        pytest.skip(f"{OPTED_OUT_PREFIX}{area}: {missing}")
    pytest.fail(
        f"{missing}: run 'make system-deps' as root to install it, or set {ALLOW_SKIP}={area}"
        " to skip the tests that need it",
        pytrace=False,
    )


def explained(reason: str) -> bool:
    return reason.startswith((*ENGINE_PREFIXES, OPTED_OUT_PREFIX))


def _reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    text = str(longrepr[2]) if isinstance(longrepr, tuple) else str(longrepr)
    return text.removeprefix("Skipped: ")


class SkipReport:
    """Why each test that did not run was skipped; under pytest-xdist, in the controller, which
    receives every worker's reports."""

    def __init__(self) -> None:
        self.reasons: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.skipped and not hasattr(report, "wasxfail"):
            self.reasons.append(_reason(report))

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.skipped:
            self.reasons.append(_reason(report))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if session.exitstatus == pytest.ExitCode.OK and not all(map(explained, self.reasons)):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.reasons:
            return
        opted_out = sum(r.startswith(OPTED_OUT_PREFIX) for r in self.reasons)
        unexplained = sum(not explained(r) for r in self.reasons)
        alarm = bool(opted_out or unexplained)
        terminalreporter.section(
            f"{len(self.reasons)} tests did not run", sep="=", red=alarm, yellow=not alarm
        )
        for reason, count in Counter(self.reasons).most_common():
            loud = not reason.startswith(ENGINE_PREFIXES)
            terminalreporter.write_line(f"{count:5d}  {reason}", red=loud, bold=loud)
        if opted_out:
            terminalreporter.write_line(
                f"{opted_out} tests were skipped because {ALLOW_SKIP} is set: this run does not"
                " check what they cover.",
                red=True,
                bold=True,
            )
        if unexplained:
            terminalreporter.write_line(
                f"{unexplained} tests were skipped for a reason other than the database engine"
                f" or {ALLOW_SKIP}: the run fails (tests/support/skips.py).",
                red=True,
                bold=True,
            )


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # a pytest-xdist worker: the controller counts
        config.pluginmanager.register(SkipReport(), "casedesk-skip-report")
