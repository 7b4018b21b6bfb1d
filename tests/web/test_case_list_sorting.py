"""The case list's sortable headers and its pages forwards and backwards (docs/web.md#lists)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from casedesk.web.views import cases as case_views

pytestmark = pytest.mark.django_db


def tickets(body: str) -> list[str]:
    return re.findall(r'<td class="nowrap" data-label="Case number">([^<]+)</td>', body)


def link(body: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', body)
    return "/cases/" + html.unescape(found.group(1)) if found else None


def header(body: str, label: str) -> str:
    found = re.search(rf"<th scope=\"col\"[^>]*>(?:<a [^>]*>)?{label}<", body)
    assert found, label
    return found.group(0)


def test_headers_sort_both_ways_and_say_which_way(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    for title in ("Bravo", "Alpha", "Charlie"):
        make_case(title=title)
    client = web(agent)
    body = client.get("/cases/", {"view": "active", "sort": "title"}).content.decode()
    titles = re.findall(r'<td class="title"><a [^>]*>([^<]+)</a>', body)
    assert titles == ["Alpha", "Bravo", "Charlie"]
    assert 'aria-sort="ascending"' in header(body, "Case title")
    assert "sort=-title" in header(body, "Case title")  # a click reverses it
    assert "aria-sort" not in header(body, "Priority")
    assert "<a " not in header(body, "Customer")  # not backed by an index: no sort
    body = client.get("/cases/", {"view": "active", "sort": "-title"}).content.decode()
    titles = re.findall(r'<td class="title"><a [^>]*>([^<]+)</a>', body)
    assert titles == ["Charlie", "Bravo", "Alpha"]
    assert 'aria-sort="descending"' in header(body, "Case title")
    assert "sort=title" in header(body, "Case title")


def test_the_default_sort_is_newest_first_and_old_bookmarks_still_work(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    made = [make_case(title=f"Case {i}").ticket_number for i in range(3)]
    client = web(agent)
    body = client.get("/cases/?view=active").content.decode()
    assert tickets(body) == made[::-1]
    assert 'aria-sort="descending"' in header(body, "Created on")
    assert tickets(client.get("/cases/?view=active&sort=oldest").content.decode()) == made


@pytest.mark.parametrize("sort", ["title", "-title", "priority", "-resolve_by", "status"])
def test_pages_walk_forwards_and_back_over_equal_keys(
    web: Callable[..., Client],
    agent: Any,
    make_case: Any,
    monkeypatch: pytest.MonkeyPatch,
    sort: str,
) -> None:
    monkeypatch.setattr(case_views, "PAGE_SIZE", 3)
    for _ in range(8):
        make_case(title="Same title")
    client = web(agent)
    url: str | None = f"/cases/?view=active&sort={sort}"
    pages = []
    while url:
        body = client.get(url).content.decode()
        pages.append(tickets(body))
        last = body
        url = link(body, "next")
    assert [len(p) for p in pages] == [3, 3, 2]
    assert len({t for p in pages for t in p}) == 8
    back = []
    url = link(last, "prev")
    while url:
        body = client.get(url).content.decode()
        back.insert(0, tickets(body))
        url = link(body, "prev")
    assert back == pages[:-1]
    assert "First page" in last
    assert "First page" not in client.get(f"/cases/?view=active&sort={sort}").content.decode()


def test_the_priority_sort_is_read_in_order_from_its_index(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    """The sort key is written with its values in the SQL, the very expression the index
    `case_state_priority_idx` holds: SQLite then reads the active cases in order from the
    index instead of sorting every one of them (docs/web.md#lists)."""
    from django.db import connection

    for priority in ("low", "high", "normal"):
        make_case(priority=priority)
    statements: list[tuple[str, Any]] = []

    def capture(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        body = web(agent).get("/cases/?view=active&sort=priority").content.decode()
    assert body.index("prio-high") < body.index("prio-normal") < body.index("prio-low")
    listing = [(sql, params) for sql, params in statements if "priority_rank" in sql]
    assert listing
    for sql, params in listing:  # the values are in the SQL, not bound
        assert "'high' THEN 0" in sql and "high" not in [str(p) for p in params]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN QUERY PLAN " + listing[0][0], listing[0][1])
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
        assert "case_state_priority_idx" in plan and "TEMP B-TREE FOR ORDER BY" not in plan
