"""Browser tests: Playwright for Python driving Debian's Chromium against the live server.

One browser serves every test of this package; each test gets a fresh context (cookies,
language, viewport). Pages must run without a Content-Security-Policy violation or a script
error: both fail the test.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import skips

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
LOCALES = {"en": "en-GB", "it": "it-IT"}


def _screenshot_dir() -> Path:
    configured = os.environ.get("CASEDESK_SCREENSHOTS")
    path = Path(configured) if configured else Path(tempfile.gettempdir()) / "casedesk-screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


SCREENSHOTS = _screenshot_dir()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    shots = sorted(SCREENSHOTS.glob("*.png"))
    if shots:
        terminalreporter.write_line(f"screenshots of the web UI ({len(shots)}): {SCREENSHOTS}")


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    skips.require_program("browser", CHROMIUM, "chromium")
    from playwright.sync_api import expect, sync_playwright

    # A cold first page (templates compiled, connections opened) on a busy CI machine may take
    # seconds; waiting longer costs nothing when pages are quick.
    expect.set_options(timeout=15_000)

    # Playwright's synchronous API runs an event loop in this thread: Django's ORM calls made
    # by the tests themselves (fixtures creating users and records) need this while it runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class Session:
    """A browser tab of one user in one language, with helpers the procedures share."""

    def __init__(self, page: Any, base_url: str, language: str, problems: list[str]) -> None:
        self.page = page
        self.base_url = base_url
        self.language = language
        self.problems = problems

    def go(self, path: str) -> Any:
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.status < 500, (path, response)
        return response

    def shot(self, name: str) -> Path:
        path = SCREENSHOTS / f"{self.language}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def no_horizontal_scroll(self) -> None:
        self.page.wait_for_load_state()
        overflow = self.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, f"the page scrolls sideways by {overflow}px"


@pytest.fixture
def open_session(
    browser: Any, live_server: Any, transactional_db: None
) -> Iterator[Callable[..., Session]]:
    contexts: list[Any] = []
    problems: list[str] = []

    def open_(user: Any, language: str = "en", width: int = 1280, height: int = 900) -> Session:
        from django.conf import settings
        from django.test import Client

        context = browser.new_context(
            locale=LOCALES[language], viewport={"width": width, "height": height}
        )
        contexts.append(context)
        if user is not None:
            client = Client()
            client.force_login(user)
            context.add_cookies(
                [
                    {
                        "name": settings.SESSION_COOKIE_NAME,
                        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                        "url": live_server.url,
                    }
                ]
            )
        page = context.new_page()
        page.set_default_timeout(20_000)

        def on_console(message: Any) -> None:
            text = message.text
            # A refused form answers 4xx on purpose; the browser logs each such answer.
            if text.startswith("Failed to load resource"):
                return
            if message.type == "error" or "Content Security Policy" in text:
                problems.append(f"console {message.type}: {text}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        return Session(page, live_server.url, language, problems)

    yield open_
    for context in contexts:
        context.close()
    assert not problems, problems
