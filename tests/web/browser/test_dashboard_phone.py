"""The dashboard's charts on a 390 px phone: every label and value is rendered at 11 px or
more (docs/web.md#small-screens), and the page does not scroll sideways."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.web.browser.conftest import Session

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

# The rendered size of every piece of text in the charts: HTML text by its computed size, SVG
# text by its size times the drawing's scale.
SIZES = """
() => Array.from(document.querySelectorAll('.dashgrid svg text, .hbars, .chart-days'))
  .flatMap((el) => el instanceof SVGTextElement
    ? [{text: el.textContent, px: parseFloat(getComputedStyle(el).fontSize) * el.getScreenCTM().a}]
    : Array.from(el.querySelectorAll('span')).filter((s) => s.textContent.trim())
        .map((s) => ({text: s.textContent, px: parseFloat(getComputedStyle(s).fontSize)})))
"""


@pytest.mark.parametrize("language", ["en", "it"])
def test_chart_labels_are_readable_on_a_phone(
    open_session: Callable[..., Session], agent: Any, make_case: Any, language: str
) -> None:
    make_case(priority="high")
    make_case(status="waiting_for_details")
    s = open_session(agent, language, width=390, height=844)
    s.go("/")
    sizes = s.page.evaluate(SIZES)
    labels = {size["text"] for size in sizes}
    assert len(sizes) > 10 and any("/" in text for text in labels)  # statuses, days
    small = [size for size in sizes if size["px"] < 11]
    assert not small, small
    s.shot("phone-dashboard-charts")
    s.no_horizontal_scroll()
