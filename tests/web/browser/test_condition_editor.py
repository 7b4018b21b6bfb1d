"""The routing rule set editor in a browser: "Add condition" adds a row in place (htmx),
keeping what was typed, and the set is saved with both conditions."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_manager_adds_a_condition_in_place_and_saves_the_rule_set(
    open_session: Any, manager: Any
) -> None:
    from casedesk.routing.models import RoutingRuleSet
    from casedesk.routing.services import queues

    queues.queue_create(actor=manager, name="Tier 2")
    s = open_session(manager)
    page = s.page
    s.go("/admin/rule-sets/new/")
    page.evaluate("window.casedeskSamePage = true")
    editor = page.locator("#rule-set-editor")
    editor.get_by_label("Name", exact=True).fill("Standard")
    editor.get_by_label("Rule name").fill("Urgent")
    editor.get_by_label("Route to").select_option(label="Tier 2")
    editor.get_by_label("Field 1", exact=True).select_option(label="Priority")
    editor.get_by_label("Operator 1", exact=True).select_option(label="is")
    editor.get_by_label("Value 1", exact=True).fill("high")
    expect(editor.get_by_label("Field 2", exact=True)).to_have_count(0)

    editor.get_by_role("button", name="Add condition").click()
    row = editor.get_by_label("Field 2", exact=True)
    expect(row).to_be_visible()
    # What was typed is kept, and the page was not reloaded.
    expect(editor.get_by_label("Value 1", exact=True)).to_have_value("high")
    expect(editor.get_by_label("Rule name")).to_have_value("Urgent")
    assert page.evaluate("window.casedeskSamePage === true")
    assert not RoutingRuleSet.objects.exists()

    row.select_option(label="Origin")
    editor.get_by_label("Operator 2", exact=True).select_option(label="is not")
    editor.get_by_label("Value 2", exact=True).fill("email")
    editor.get_by_role("button", name="Save", exact=True).last.click()
    expect(page.locator(".messages")).to_contain_text("The routing rule set was saved.")
    item = RoutingRuleSet.objects.get(name="Standard").items.get()
    assert item.conditions == [
        {"field": "priority", "op": "eq", "value": "high"},
        {"field": "origin", "op": "ne", "value": "email"},
    ]
