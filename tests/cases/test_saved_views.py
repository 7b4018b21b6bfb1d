"""Saved views of the case list: names, limit, ownership and audit of the service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from casedesk.cases.models import SavedView
from casedesk.cases.services import saved_views
from casedesk.core.errors import NotFound, ValidationFailed
from casedesk.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_a_view_keeps_the_list_parameters_only(agent: Any) -> None:
    view = saved_views.saved_view_create(
        actor=agent,
        name="  Urgent   ones ",
        query={"view": "active", "priority": "high", "cursor": "abc", "sort": "-title", "x": "1"},
    )
    assert view.name == "Urgent ones"
    assert view.query == {"view": "active", "priority": "high", "sort": "-title"}
    entry = AuditEntry.objects.get(entity_type="saved_view", entity_id=view.pk)
    assert entry.action == "create" and entry.actor_id == agent.pk


@pytest.mark.parametrize(("name", "message"), [("", "is required"), ("x" * 61, "at most 60")])
def test_a_bad_name_is_refused(agent: Any, name: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        saved_views.saved_view_create(actor=agent, name=name, query={})
    assert message in caught.value.details["fields"]["name"]


def test_names_are_unique_per_user_not_across_users(
    agent: Any, make_user: Callable[..., Any]
) -> None:
    saved_views.saved_view_create(actor=agent, name="Mine", query={})
    with pytest.raises(ValidationFailed):
        saved_views.saved_view_create(actor=agent, name="Mine", query={})
    saved_views.saved_view_create(actor=make_user("agent"), name="Mine", query={})


def test_a_user_keeps_at_most_the_limit(agent: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(saved_views, "MAX_PER_USER", 2)
    saved_views.saved_view_create(actor=agent, name="One", query={})
    saved_views.saved_view_create(actor=agent, name="Two", query={})
    with pytest.raises(ValidationFailed) as caught:
        saved_views.saved_view_create(actor=agent, name="Three", query={})
    assert caught.value.details["fields"]["name"] == saved_views.TOO_MANY


def test_rename_and_delete_are_the_owner_s_only(agent: Any, make_user: Callable[..., Any]) -> None:
    view = saved_views.saved_view_create(actor=agent, name="Mine", query={})
    other = make_user("manager")
    with pytest.raises(NotFound):
        saved_views.saved_view_rename(actor=other, view_id=view.pk, name="Theirs")
    with pytest.raises(NotFound):
        saved_views.saved_view_delete(actor=other, view_id=view.pk)
    saved_views.saved_view_create(actor=agent, name="Taken", query={})
    with pytest.raises(ValidationFailed):
        saved_views.saved_view_rename(actor=agent, view_id=view.pk, name="Taken")
    saved_views.saved_view_rename(actor=agent, view_id=view.pk, name="Renamed")
    assert SavedView.objects.get(pk=view.pk).name == "Renamed"
    saved_views.saved_view_delete(actor=agent, view_id=view.pk)
    assert not SavedView.objects.filter(pk=view.pk).exists()
    actions = set(
        AuditEntry.objects.filter(entity_type="saved_view", entity_id=view.pk).values_list(
            "action", flat=True
        )
    )
    assert actions == {"create", "update", "delete"}
