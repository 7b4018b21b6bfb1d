from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casedesk.core.errors import BadRequest
from casedesk.core.pagination import encode_cursor, paginate
from casedesk.directory.models import User

pytestmark = pytest.mark.django_db


def _users(make_user: Any, n: int) -> None:
    for i in range(n):
        make_user(username=f"user{i:03d}")


def test_pages_cover_every_row_once_in_order_when_walked_to_the_end(make_user: Any) -> None:
    _users(make_user, 23)
    seen: list[str] = []
    cursor = None
    while True:
        page = paginate(User.objects.all(), order=("username", "id"), limit=5, cursor=cursor)
        seen.extend(u.username for u in page.items)
        if page.next is None:
            break
        cursor = page.next
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen)) == 23


def test_descending_order_pages_backwards_when_order_is_descending(make_user: Any) -> None:
    _users(make_user, 7)
    first = paginate(User.objects.all(), order=("-username", "-id"), limit=4)
    second = paginate(User.objects.all(), order=("-username", "-id"), limit=4, cursor=first.next)
    names = [u.username for u in first.items + second.items]
    assert names == sorted(names, reverse=True)
    assert second.next is None


def test_each_page_costs_one_query_however_deep(make_user: Any) -> None:
    _users(make_user, 30)
    cursor = None
    for _ in range(5):
        with CaptureQueriesContext(connection) as ctx:
            page = paginate(User.objects.all(), order=("username", "id"), limit=5, cursor=cursor)
        assert len(ctx.captured_queries) == 1
        cursor = page.next


@pytest.mark.parametrize("cursor", ["garbage", "a" * 50, "eyJzIjoieCJ9:abc:def"])
def test_tampered_cursor_is_refused_as_bad_request(cursor: str) -> None:
    with pytest.raises(BadRequest):
        paginate(User.objects.all(), order=("username", "id"), cursor=cursor)


def test_cursor_of_another_list_is_refused() -> None:
    cursor = encode_cursor("casedesk_directory.Team", ["x", "y"])
    with pytest.raises(BadRequest):
        paginate(User.objects.all(), order=("username", "id"), cursor=cursor)
