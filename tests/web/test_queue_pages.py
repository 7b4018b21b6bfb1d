"""Service › Queues: available items, my items, pick, release and remove."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(manager: Any, agent: Any, make_case: Any) -> Any:
    from casedesk.routing.services import items, queues

    queue = queues.queue_create(actor=manager, name="Tier 1")
    case = make_case(title="Waiting in the queue")
    return items.queue_item_add(actor=agent, case_id=case.pk, queue_id=queue.pk).item


def test_available_items_list_the_queued_case(
    web: Callable[..., Client], agent: Any, queued: Any
) -> None:
    body = web(agent).get("/queues/").content.decode()
    assert "Waiting in the queue" in body and "Tier 1" in body


def test_pick_makes_me_the_worker_and_moves_the_item_to_my_items(
    web: Callable[..., Client], make_user: Callable[..., Any], queued: Any
) -> None:
    other = make_user("agent")
    client = web(other)
    response = client.post(f"/queue-items/{queued.pk}/pick/", {"version": queued.version})
    assert response.status_code == 302
    queued.refresh_from_db()
    assert queued.worked_by_id == other.pk
    assert "Waiting in the queue" in client.get("/queues/?view=mine").content.decode()
    assert "Waiting in the queue" not in client.get("/queues/?view=available").content.decode()


def test_pick_and_remove_closes_the_item_and_assigns_the_case(
    web: Callable[..., Client], make_user: Callable[..., Any], queued: Any
) -> None:
    other = make_user("agent")
    web(other).post(f"/queue-items/{queued.pk}/pick/", {"version": queued.version, "remove": "1"})
    queued.refresh_from_db()
    queued.case.refresh_from_db()
    assert queued.state == "closed" and queued.case.owner_user_id == other.pk


def test_release_clears_the_worker(web: Callable[..., Client], agent: Any, queued: Any) -> None:
    client = web(agent)
    client.post(f"/queue-items/{queued.pk}/pick/", {"version": queued.version})
    queued.refresh_from_db()
    client.post(f"/queue-items/{queued.pk}/release/", {"version": queued.version})
    queued.refresh_from_db()
    assert queued.worked_by_id is None


def test_remove_is_forbidden_to_an_agent_who_may_not_change_the_case(
    web: Callable[..., Client], make_user: Callable[..., Any], queued: Any
) -> None:
    response = web(make_user("agent")).post(
        f"/queue-items/{queued.pk}/remove/", {"version": queued.version}
    )
    assert response.status_code == 403
    queued.refresh_from_db()
    assert queued.state == "open"


def test_a_stale_pick_is_refused_with_a_message(
    web: Callable[..., Client], agent: Any, queued: Any
) -> None:
    response = web(agent).post(f"/queue-items/{queued.pk}/pick/", {"version": 99}, follow=True)
    assert "Someone else changed this record" in response.content.decode()
    queued.refresh_from_db()
    assert queued.worked_by_id is None


def test_queue_pages_need_a_session_and_csrf(
    web: Callable[..., Client], agent: Any, queued: Any
) -> None:
    assert Client().get("/queues/").status_code == 302
    response = web(agent, csrf=True).post(
        f"/queue-items/{queued.pk}/pick/", {"version": queued.version}
    )
    assert response.status_code == 403


def test_items_show_priority_customer_and_time_in_queue(
    web: Callable[..., Client], agent: Any, queued: Any
) -> None:
    body = web(agent).get("/queues/").content.decode()
    assert "prio-normal" in body and "Time in queue" in body
    assert queued.case.customer_account.name in body


def test_pick_and_open_goes_to_the_case_page(
    web: Callable[..., Client], make_user: Callable[..., Any], queued: Any
) -> None:
    other = make_user("agent")
    response = web(other).post(
        f"/queue-items/{queued.pk}/pick/", {"version": queued.version, "open": "1"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{queued.case_id}/"
    queued.refresh_from_db()
    assert queued.worked_by_id == other.pk


def test_items_page_both_ways_and_sort_newest_first(
    web: Callable[..., Client],
    agent: Any,
    manager: Any,
    make_case: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import html
    import re

    from casedesk.routing.services import items, queues
    from casedesk.web.views import queues as queue_views

    monkeypatch.setattr(queue_views, "PAGE_SIZE", 2)
    queue = queues.queue_create(actor=manager, name="Tier 2")
    titles = [f"Item {i}" for i in range(5)]
    for title in titles:
        items.queue_item_add(actor=agent, case_id=make_case(title=title).pk, queue_id=queue.pk)
    client = web(agent)

    def shown(body: str) -> list[str]:
        return [t for t in re.findall(r"<br>(Item \d)</td>", body)]

    def follow(body: str, rel: str) -> str | None:
        found = re.search(rf'<a href="([^"]+)" rel="{rel}">', body)
        return "/queues/" + html.unescape(found.group(1)) if found else None

    for sort, expected in (("entered", titles), ("-entered", titles[::-1])):
        url: str | None = f"/queues/?view=available&sort={sort}"
        pages, last = [], ""
        while url:
            last = client.get(url).content.decode()
            pages.append(shown(last))
            url = follow(last, "next")
        assert [t for page in pages for t in page] == expected
        assert ('aria-sort="descending"' in last) == (sort == "-entered")
        back = client.get(follow(last, "prev") or "").content.decode()
        assert shown(back) == pages[-2]


def test_htmx_gets_only_the_queue_list_region(
    web: Callable[..., Client], agent: Any, queued: Any
) -> None:
    client = web(agent)
    fragment = client.get(
        "/queues/", {"view": "all"}, headers={"HX-Request": "true", "HX-Target": "queue-list"}
    ).content.decode()
    assert "<html" not in fragment and "Waiting in the queue" in fragment
    assert 'hx-target="#queue-list"' in fragment
    assert 'id="queue-list"' in client.get("/queues/").content.decode()
