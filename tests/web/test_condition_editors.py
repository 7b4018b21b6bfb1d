"""The routing rule set and SLA editors: any number of conditions per rule or item and of rules
or items per set. "Add condition", "Remove condition", "Add rule" and "Remove rule" re-render
the form with what was typed and save nothing, without JavaScript (the whole page) and with
htmx (the form alone); their limits are refused with a message (docs/routing.md,
docs/service-levels.md)."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client

from casedesk.routing.models import RoutingRuleSet
from casedesk.sla.models import Sla

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
RULE_SETS = "/admin/rule-sets/new/"
SLAS = "/admin/slas/new/"


@pytest.fixture
def queue(manager: Any) -> Any:
    from casedesk.routing.services import queues

    return queues.queue_create(actor=manager, name="Tier 2")


def _rule_set(queue: Any, **extra: Any) -> dict[str, Any]:
    data = {
        "name": "Standard",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-name": "Urgent",
        "items-0-route_to": f"queue:{queue.pk}",
        "items-0-rows": "1",
        "items-0-c0_field": "priority",
        "items-0-c0_op": "eq",
        "items-0-c0_value": "high",
    }
    data.update(extra)
    return data


def _sla(**extra: Any) -> dict[str, Any]:
    data = {
        "name": "Gold",
        "pause_statuses": ["on_hold"],
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-name": "High priority response",
        "items-0-kpi": "first_response",
        "items-0-warn_after_minutes": "30",
        "items-0-fail_after_minutes": "60",
        "items-0-rows": "1",
        "items-0-c0_field": "priority",
        "items-0-c0_op": "eq",
        "items-0-c0_value": "high",
    }
    data.update(extra)
    return data


def _value(page: str, name: str) -> str | None:
    """The value a text or hidden input named `name` shows, or None when there is none."""
    found = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', page)
    if found is None:
        return None
    value = re.search(r'value="([^"]*)"', found.group(0))
    return value.group(1) if value else ""


def _selected(page: str, name: str) -> str | None:
    select = re.search(rf'<select name="{re.escape(name)}".*?</select>', page, re.S)
    if select is None:
        return None
    chosen = re.search(r'<option value="([^"]*)" selected>', select.group(0))
    return chosen.group(1) if chosen else ""


@pytest.mark.parametrize(("url", "post"), [(RULE_SETS, "rule"), (SLAS, "sla")])
def test_add_condition_without_javascript_keeps_what_was_typed_and_saves_nothing(
    web: Callable[..., Client], manager: Any, queue: Any, url: str, post: str
) -> None:
    data = _rule_set(queue) if post == "rule" else _sla()
    response = web(manager).post(url, {**data, "editor": "add_condition:0"})
    page = response.content.decode()
    assert response.status_code == 200 and "<html" in page
    assert _value(page, "items-0-rows") == "2"
    assert _selected(page, "items-0-c0_field") == "priority"
    assert _value(page, "items-0-c0_value") == "high"
    assert _selected(page, "items-0-c1_field") == ""  # the new row, blank
    assert _value(page, "items-0-c2_value") is None
    assert _value(page, "name") == data["name"]
    assert 'class="errorlist' not in page  # nothing was validated
    assert not RoutingRuleSet.objects.exists() and not Sla.objects.exists()


def test_remove_condition_moves_the_next_rows_up(
    web: Callable[..., Client], manager: Any, queue: Any
) -> None:
    data = _rule_set(
        queue,
        **{
            "items-0-rows": "3",
            "items-0-c1_field": "origin",
            "items-0-c1_op": "eq",
            "items-0-c1_value": "email",
            "items-0-c2_field": "title",
            "items-0-c2_op": "contains",
            "items-0-c2_value": "printer",
        },
    )
    page = web(manager).post(RULE_SETS, {**data, "editor": "remove_condition:0:0"})
    body = page.content.decode()
    assert page.status_code == 200
    assert _value(body, "items-0-rows") == "2"
    assert _selected(body, "items-0-c0_field") == "origin"
    assert _value(body, "items-0-c0_value") == "email"
    assert _selected(body, "items-0-c1_field") == "title"
    assert _value(body, "items-0-c2_value") is None


def test_add_and_remove_rule_without_javascript(
    web: Callable[..., Client], manager: Any, queue: Any
) -> None:
    client = web(manager)
    added = client.post(RULE_SETS, {**_rule_set(queue), "editor": "add_item"}).content.decode()
    assert _value(added, "items-TOTAL_FORMS") == "2"
    assert _value(added, "items-0-name") == "Urgent" and _value(added, "items-1-name") == ""
    two = _rule_set(
        queue,
        **{
            "items-TOTAL_FORMS": "2",
            "items-1-name": "Everything else",
            "items-1-route_to": f"queue:{queue.pk}",
            "items-1-rows": "0",
        },
    )
    removed = client.post(RULE_SETS, {**two, "editor": "remove_item:0"}).content.decode()
    assert _value(removed, "items-TOTAL_FORMS") == "1"
    assert _value(removed, "items-0-name") == "Everything else"
    assert _value(removed, "items-0-rows") == "0"
    assert _value(removed, "items-1-name") is None
    assert not RoutingRuleSet.objects.exists()


@pytest.mark.parametrize(("url", "form_id"), [(RULE_SETS, "rule-set-editor"), (SLAS, "sla-editor")])
def test_the_editor_buttons_answer_the_form_alone_to_htmx(
    web: Callable[..., Client], manager: Any, queue: Any, url: str, form_id: str
) -> None:
    data = _rule_set(queue) if url == RULE_SETS else _sla()
    response = web(manager).post(url, {**data, "editor": "add_condition:0"}, headers=HX)
    body = response.content.decode()
    assert response.status_code == 200
    assert response["X-Casedesk-Fragment"] == "1"
    assert body.lstrip().startswith(f'<form method="post" class="card" id="{form_id}"')
    assert body.rstrip().endswith("</form>") and "<html" not in body
    assert _value(body, "items-0-rows") == "2"
    # Each button posts the form in place, and is a plain submit button without htmx.
    assert re.search(
        r'<button type="submit" name="editor" value="add_condition:0"[^>]*'
        rf'hx-post="{re.escape(url)}" hx-target="closest form"',
        body,
    )


@pytest.mark.parametrize(("url", "word"), [(RULE_SETS, "rule"), (SLAS, "item")])
def test_the_editor_limits_are_refused_with_a_message(
    web: Callable[..., Client], manager: Any, queue: Any, url: str, word: str
) -> None:
    data = _rule_set(queue) if url == RULE_SETS else _sla()
    client = web(manager)
    full = client.post(url, {**data, "items-0-rows": "20", "editor": "add_condition:0"})
    body = full.content.decode()
    assert full.status_code == 422
    assert "at most 20 conditions here" in body and "data-editor-error" in body
    assert _value(body, "items-0-rows") == "20" and _selected(body, "items-0-c20_field") is None
    many = client.post(url, {**data, "items-TOTAL_FORMS": "100", "editor": "add_item"})
    assert many.status_code == 422
    assert "at most 100 " in many.content.decode()
    assert _value(many.content.decode(), "items-TOTAL_FORMS") == "100"
    # However many rows are posted, the form makes no more than 50.
    huge = client.post(url, {**data, "items-0-rows": "100000", "editor": "add_item"})
    assert huge.status_code == 200
    assert _selected(huge.content.decode(), "items-0-c49_field") == ""
    assert _selected(huge.content.decode(), "items-0-c50_field") is None


def test_a_rule_with_more_than_three_conditions_is_saved(
    web: Callable[..., Client], manager: Any, queue: Any
) -> None:
    extra: dict[str, str] = {"items-0-rows": "5"}
    for i, origin in enumerate(("email", "phone", "web", "chat"), start=1):
        extra |= {f"items-0-c{i}_field": "origin", f"items-0-c{i}_op": "ne"}
        extra[f"items-0-c{i}_value"] = origin
    response = web(manager).post(RULE_SETS, _rule_set(queue, **extra))
    assert response.status_code == 302
    item = RoutingRuleSet.objects.get().items.get()
    assert len(item.conditions) == 5
    assert item.conditions[4] == {"field": "origin", "op": "ne", "value": "chat"}
    page = web(manager).get(response["Location"]).content.decode()
    # Its five conditions and one blank row to fill in.
    assert _value(page, "items-0-rows") == "6"
    assert _value(page, "items-0-c4_value") == "chat" and _value(page, "items-0-c5_value") == ""


def test_an_active_rule_set_shows_no_blank_rows_and_no_editor_buttons(
    web: Callable[..., Client], manager: Any, queue: Any
) -> None:
    client = web(manager)
    client.post(RULE_SETS, _rule_set(queue))
    rule_set = RoutingRuleSet.objects.get()
    client.post(f"/admin/rule-sets/{rule_set.pk}/activate/", {"version": rule_set.version})
    page = client.get(f"/admin/rule-sets/{rule_set.pk}/").content.decode()
    assert _value(page, "items-0-rows") == "1"
    assert _selected(page, "items-0-c0_field") == "priority"
    assert _selected(page, "items-0-c1_field") is None
    assert 'name="editor"' not in page
    # A button posted anyway is not applied to an active set: it is a save, refused.
    rule_set.refresh_from_db()
    refused = client.post(
        f"/admin/rule-sets/{rule_set.pk}/",
        {**_rule_set(queue), "version": rule_set.version, "editor": "add_condition:0"},
    )
    assert refused.status_code == 409
    assert "data-editor-error" not in refused.content.decode()
    assert _selected(refused.content.decode(), "items-0-c1_field") is None


class _Fields(HTMLParser):
    """The values a browser would post from a page's first form (the editor): inputs,
    selected options and textareas, buttons left out."""

    def __init__(self) -> None:
        super().__init__()
        self.values: list[tuple[str, str]] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "input" and a.get("name") and a.get("type") not in ("checkbox", "submit"):
            self.values.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.values.append((self._select, a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def _posted(page: str) -> dict[str, str]:
    parser = _Fields()
    start = page.index('id="rule-set-editor"')
    form = page[start : page.index("</form>", start)]
    parser.feed(form)
    return {name: value for name, value in parser.values if name != "csrfmiddlewaretoken"}


def test_a_rule_removed_from_a_saved_set_is_gone_once_the_form_is_saved(
    web: Callable[..., Client], manager: Any, queue: Any
) -> None:
    client = web(manager)
    two = _rule_set(
        queue,
        **{
            "items-TOTAL_FORMS": "2",
            "items-1-name": "Everything else",
            "items-1-route_to": f"queue:{queue.pk}",
        },
    )
    assert client.post(RULE_SETS, two).status_code == 302
    rule_set = RoutingRuleSet.objects.get()
    url = f"/admin/rule-sets/{rule_set.pk}/"
    shown = _posted(client.get(url).content.decode())
    # Its two rules and a blank one.
    assert shown["items-TOTAL_FORMS"] == "3" and shown["items-INITIAL_FORMS"] == "2"
    assert shown["items-0-name"] == "Urgent"
    again = client.post(url, {**shown, "editor": "remove_item:0"}, headers=HX)
    edited = _posted(again.content.decode())
    assert edited["items-TOTAL_FORMS"] == "2" and edited["items-0-name"] == "Everything else"
    assert edited["items-1-name"] == ""
    saved = client.post(url, edited)
    assert saved.status_code == 302
    rule_set.refresh_from_db()
    assert [item.name for item in rule_set.items.all()] == ["Everything else"]
