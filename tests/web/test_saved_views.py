"""Saved views in the web UI: save the list's filters, see the tab, rename, delete."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from casedesk.cases.models import SavedView

pytestmark = pytest.mark.django_db


def test_the_web_saves_shows_renames_and_deletes_a_view(
    web: Callable[..., Client], agent: Any
) -> None:
    client = web(agent)
    response = client.post(
        "/cases/views/",
        {"name": "High ones", "view": "active", "priority": "high", "sort": "-title"},
    )
    view = SavedView.objects.get(user=agent)
    assert response.status_code == 302
    assert "priority=high" in response["Location"] and f"saved={view.pk}" in response["Location"]
    body = client.get(response["Location"]).content.decode()
    assert 'class="savedtab" aria-current="page">High ones<span hx-get=' in body
    assert '<option value="high" selected>' in body
    client.post(f"/cases/views/{view.pk}/rename/", {"name": "Highest"})
    assert SavedView.objects.get(pk=view.pk).name == "Highest"
    client.post(f"/cases/views/{view.pk}/delete/")
    assert not SavedView.objects.filter(pk=view.pk).exists()


def test_the_web_says_a_taken_name_in_the_user_s_language(
    web: Callable[..., Client], make_user: Callable[..., Any]
) -> None:
    from casedesk.directory.services.users import user_language_set

    italian = make_user("agent")
    user_language_set(actor=italian, language="it")
    client = web(italian)
    client.post("/cases/views/", {"name": "Mia", "view": "active"})
    response = client.post("/cases/views/", {"name": "Mia", "view": "active"}, follow=True)
    with translation.override("it"):
        assert "Hai già una vista con questo nome." in response.content.decode()


def test_another_user_s_view_cannot_be_renamed_or_deleted(
    web: Callable[..., Client], agent: Any, make_user: Callable[..., Any]
) -> None:
    from casedesk.cases.services.saved_views import saved_view_create

    view = saved_view_create(actor=agent, name="Mine", query={})
    client = web(make_user("admin"))
    client.post(f"/cases/views/{view.pk}/rename/", {"name": "Taken over"})
    client.post(f"/cases/views/{view.pk}/delete/")
    assert SavedView.objects.get(pk=view.pk).name == "Mine"
    assert "Mine" not in client.get("/cases/").content.decode()


def test_each_saved_tab_fetches_its_count_exact_or_up_to_the_cap(
    web: Callable[..., Client],
    agent: Any,
    make_user: Callable[..., Any],
    make_case: Callable[..., Any],
    account: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """docs/web.md#saved-views: the tab asks for its count when the list shows it; views the
    case counters answer are exact, the others are counted up to a cap."""
    from casedesk.cases.services.saved_views import saved_view_create
    from casedesk.web.views import saved_views

    for priority in ("high", "high", "high", "normal"):
        make_case(priority=priority)
    high = saved_view_create(actor=agent, name="High", query={"view": "active", "priority": "high"})
    by_customer = saved_view_create(
        actor=agent, name="Acme", query={"view": "active", "customer": f"account:{account.pk}"}
    )
    client = web(agent)
    listed = client.get("/cases/").content.decode()
    for view in (high, by_customer):
        assert f'hx-get="/cases/views/{view.pk}/count/" hx-trigger="load"' in listed

    def count(view: SavedView) -> str:
        answer = client.get(f"/cases/views/{view.pk}/count/", headers={"HX-Request": "true"})
        assert answer.status_code == 200
        match = re.search(r'<span class="tabcount" data-saved-count>([^<]*)</span>', answer.text)
        assert match is not None, answer.text
        return match.group(1)

    assert count(high) == "3"  # from the counters
    assert count(by_customer) == "4"  # counted
    monkeypatch.setattr(saved_views, "COUNT_CAP", 2)
    assert count(by_customer) == "2+"
    assert count(high) == "3"  # the counters are exact whatever the cap
    # Another user's view: no count, no name.
    other = web(make_user("agent"))
    assert other.get(f"/cases/views/{high.pk}/count/").status_code == 404
