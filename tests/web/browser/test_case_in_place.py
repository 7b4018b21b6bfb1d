"""The case page updated in place with htmx (docs/web.md#partial-updates), in a browser: a note
added without reloading the page, then the case resolved with the version that answer
refreshed; the timeline's filter in place; a refusal shows inside the open dialog."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.browser.words import WORDS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_agent_adds_a_note_then_resolves_the_case_without_reloading(
    open_session: Any, agent: Any
) -> None:
    from casedesk.cases.services import activities, records
    from casedesk.cases.services.common import Ref
    from casedesk.customers import services

    account = services.account_create(actor=agent, name="Ottica Rossi")
    case = records.case_create(
        actor=agent, title="Badge reader broken", customer=Ref("account", account.pk)
    )
    call = activities.activity_create(
        actor=agent, case_id=case.pk, type="phone_call", subject="Call the customer"
    )
    w = WORDS["en"]
    s = open_session(agent)
    page = s.page
    s.go(f"/cases/{case.pk}/")
    # A mark on the window: a reload of the page would drop it.
    page.evaluate("window.casedeskSamePage = true")
    timeline = page.locator("#timeline")

    # Completing the call moves the case's version (its total time), in place.
    item = timeline.locator("li", has_text="Call the customer")
    item.get_by_label(w["actual_duration"]).fill("10")
    item.get_by_role("button", name=w["mark_complete"]).click()
    expect(timeline.locator("li", has_text="Call the customer")).to_contain_text(w["completed"])

    # A note, in place: the timeline shows it first and the composer is empty again.
    timeline.get_by_label("Text", exact=True).first.fill("The customer sent the serial number.")
    timeline.get_by_role("button", name="Add note").click()
    expect(timeline.locator("ol.timeline > li").first).to_contain_text(
        "The customer sent the serial number."
    )
    expect(page.locator("#messages")).to_contain_text("The note was added.")
    expect(timeline.locator(".panel-note textarea")).to_have_value("")
    assert page.evaluate("window.casedeskSamePage === true")

    # The timeline's filter, in place: the notes alone, and the address says so.
    timeline.get_by_role("link", name="Notes", exact=True).click()
    expect(page).to_have_url(re.compile(r"\?show=notes$"))
    expect(timeline.locator("ol.timeline")).not_to_contain_text("Call the customer")
    expect(timeline.locator("ol.timeline")).to_contain_text("The customer sent the serial number.")
    expect(timeline.get_by_role("link", name="Notes", exact=True)).to_have_attribute(
        "aria-current", "true"
    )
    assert page.evaluate("window.casedeskSamePage === true")

    # Resolve: a refusal stays in the dialog, without reloading the page.
    page.get_by_role("button", name=w["resolve_case"]).click()
    dialog = page.locator("#dialog-resolve")
    expect(dialog).to_be_visible()
    expect(dialog.locator("[data-total-time]")).to_have_text("10 min")
    dialog.get_by_role("button", name=w["resolve"], exact=True).click()
    expect(dialog.locator("[aria-invalid=true]").first).to_be_visible()
    expect(dialog).to_be_visible()
    assert page.evaluate("window.casedeskSamePage === true")

    # With the version the note's answer refreshed, the case is resolved.
    dialog.get_by_label(w["resolution_type"]).select_option(label=w["information_provided"])
    dialog.get_by_label(w["resolution"], exact=True).fill("Reader replaced.")
    dialog.get_by_role("button", name=w["resolve"], exact=True).click()
    expect(page.locator(".messages")).to_contain_text(w["resolved_msg"])
    case.refresh_from_db()
    call.refresh_from_db()
    assert (case.state, case.total_minutes, call.state) == ("resolved", 10, "completed")
