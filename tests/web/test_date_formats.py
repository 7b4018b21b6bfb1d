"""Dates and times are written one way on every page, in each language (docs/web.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import engines
from django.utils import translation

from casedesk import config

AT = dt.datetime(2026, 12, 7, 14, 50, tzinfo=dt.UTC)
TEMPLATE = (
    '{{ at|date:"SHORT_DATETIME_FORMAT" }}|{{ at|date:"SHORT_DATE_FORMAT" }}|{{ at }}'
    "|{{ at|date }}|{{ at|time }}"
)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "7 Dec 2026 14:50|7 Dec 2026|7 Dec 2026 14:50|7 Dec 2026|14:50"),
        ("it", "7 Dic 2026 14:50|7 Dic 2026|7 Dic 2026 14:50|7 Dic 2026|14:50"),
    ],
)
def test_every_format_reads_the_same_way(language: str, expected: str) -> None:
    template = engines["django"].from_string(TEMPLATE)
    with translation.override(language):
        assert template.render({"at": AT}) == expected


def test_the_desk_time_zone_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEDESK_TIME_ZONE", "Europe/Rome")
    assert config.time_zone() == "Europe/Rome"
    monkeypatch.setenv("CASEDESK_TIME_ZONE", "Mars/Olympus")
    with pytest.raises(RuntimeError, match="IANA"):
        config.time_zone()
    monkeypatch.delenv("CASEDESK_TIME_ZONE")
    assert config.time_zone() == "UTC"
