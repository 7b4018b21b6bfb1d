"""At 390 px wide the top bar takes two rows and no page scrolls sideways
(docs/web.md#small-screens)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.web.browser.conftest import Session

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.mark.parametrize("language", ["en", "it"])
def test_the_top_bar_is_two_rows_on_a_phone(
    open_session: Callable[..., Session], agent: Any, language: str
) -> None:
    s = open_session(agent, language, width=390, height=844)
    s.go("/")
    s.shot("phone-dashboard")
    height = s.page.evaluate("document.querySelector('.topbar').getBoundingClientRect().height")
    assert height <= 100, f"the top bar is {height}px high"
    s.no_horizontal_scroll()
