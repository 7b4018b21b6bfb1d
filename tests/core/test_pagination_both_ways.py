"""Keyset pages walked forwards and backwards, in an order and in its reverse, over equal keys
and nulls: every row once, in order, and the same pages both ways."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest

from casedesk.core.pagination import paginate
from casedesk.directory.models import User

pytestmark = pytest.mark.django_db

SIZE = 4


@pytest.fixture
def people(make_user: Any) -> list[User]:
    """23 users whose first names repeat and half of whom never signed in (null)."""
    users = [make_user(username=f"walk{i:03d}") for i in range(23)]
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for i, user in enumerate(users):
        user.first_name = "abc"[i % 3]
        user.last_login = None if i % 2 else base + dt.timedelta(days=i % 5)
        user.save(update_fields=["first_name", "last_login"])
    return users


def expected(order: Sequence[str], reverse: bool) -> list[Any]:
    rows = list(
        User.objects.filter(username__startswith="walk").values(
            "id", *[f.lstrip("-") for f in order if f.lstrip("-") != "id"]
        )
    )
    # Python's own sort: nulls after every value (nulls last), the order's directions.
    for name in reversed(order):
        field = name.lstrip("-")
        present = [r for r in rows if r[field] is not None]
        absent = [r for r in rows if r[field] is None]
        present.sort(key=lambda r, f=field: r[f], reverse=name.startswith("-"))
        rows = present + absent
    ids = [r["id"] for r in rows]
    return ids[::-1] if reverse else ids


def walk(order: Sequence[str], nulls_last: Sequence[str], reverse: bool) -> list[list[Any]]:
    qs = User.objects.filter(username__startswith="walk")
    pages = []
    page = paginate(qs, order=order, limit=SIZE, nulls_last=nulls_last, reverse=reverse)
    assert page.previous is None
    pages.append(page)
    while page.next:
        page = paginate(
            qs, order=order, limit=SIZE, nulls_last=nulls_last, reverse=reverse, cursor=page.next
        )
        pages.append(page)
    forward = [[u.pk for u in p.items] for p in pages]
    # Back from the last page to the first, by each page's `previous`.
    back = [forward[-1]]
    page = pages[-1]
    while page.previous:
        page = paginate(
            qs,
            order=order,
            limit=SIZE,
            nulls_last=nulls_last,
            reverse=reverse,
            cursor=page.previous,
        )
        back.insert(0, [u.pk for u in page.items])
    assert back == forward
    # A page read backwards offers the page after it again.
    if len(pages) > 2:
        again = paginate(
            qs,
            order=order,
            limit=SIZE,
            nulls_last=nulls_last,
            reverse=reverse,
            cursor=pages[2].previous,
        )
        assert [u.pk for u in again.items] == forward[1]
        assert again.next is not None
        after = paginate(
            qs, order=order, limit=SIZE, nulls_last=nulls_last, reverse=reverse, cursor=again.next
        )
        assert [u.pk for u in after.items] == forward[2]
    return forward


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize(
    ("order", "nulls_last"),
    [
        (("first_name", "id"), ()),
        (("-first_name", "-id"), ()),
        (("last_login", "id"), ("last_login",)),
        (("-last_login", "-id"), ("last_login",)),
    ],
)
def test_pages_walk_both_ways_over_equal_keys_and_nulls(
    people: list[User], order: tuple[str, ...], nulls_last: tuple[str, ...], reverse: bool
) -> None:
    pages = walk(order, nulls_last, reverse)
    assert [pk for page in pages for pk in page] == expected(order, reverse)
    assert all(len(page) == SIZE for page in pages[:-1])
