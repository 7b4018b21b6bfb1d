"""The view tabs of the case and queue lists show their counts (docs/web.md#lists)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def tab_counts(body: str) -> dict[str, str]:
    """The tabs' labels and counts, as the page shows them."""
    tab = r'<a href="\?view=(\w+)[^"]*"[^>]*>[^<]*<span class="tabcount">([^<]*)<'
    return dict(re.findall(tab, body))


def test_the_case_views_count_their_cases(
    web: Callable[..., Client], agent: Any, make_user: Callable[..., Any], make_case: Any
) -> None:
    from casedesk.cases.fields import Ref
    from casedesk.cases.services.assignment import case_assign

    other = make_user("manager")
    for _ in range(3):
        make_case()
    moved = make_case()
    case_assign(actor=other, case_id=moved.pk, owner=Ref("user", other.pk))
    body = web(agent).get("/cases/").content.decode()
    assert tab_counts(body) == {"my": "3", "active": "4", "resolved": "0", "cancelled": "0"}


def test_the_queue_views_count_their_items(
    web: Callable[..., Client], agent: Any, manager: Any, make_case: Any
) -> None:
    from casedesk.routing.services import items, queues

    queue = queues.queue_create(actor=manager, name="Tier 1")
    added = [
        items.queue_item_add(actor=agent, case_id=make_case().pk, queue_id=queue.pk).item
        for _ in range(3)
    ]
    items.queue_item_pick(actor=agent, item_id=added[0].pk, expected_version=added[0].version)
    body = web(agent).get("/queues/").content.decode()
    assert tab_counts(body) == {"available": "2", "mine": "1", "all": "3"}
