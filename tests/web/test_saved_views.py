"""Saved views in the web UI: save the list's filters, see the tab, rename, delete."""

from __future__ import annotations

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
    assert 'class="savedtab" aria-current="page">High ones</a>' in body
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
