"""Editing an activity from the case timeline end to end in a browser, in English and Italian,
with a screenshot of the edit page."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.browser.conftest import Session
from tests.web.browser.words import WORDS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
LANGUAGES = ["en", "it"]


@pytest.fixture
def case_with_call(agent: Any) -> tuple[Any, Any]:
    from casedesk.cases.services import activities, records
    from casedesk.cases.services.common import Ref
    from casedesk.customers import services as customers

    account = customers.account_create(actor=agent, name="Ottica Rossi")
    case = records.case_create(
        actor=agent, title="Lettore di badge guasto", customer=Ref("account", account.pk)
    )
    done = activities.activity_create(
        actor=agent, case_id=case.pk, type="task", subject="Verificare la garanzia"
    )
    activities.activity_complete(actor=agent, activity_id=done.pk, duration_minutes=10)
    call = activities.activity_create(
        actor=agent,
        case_id=case.pk,
        type="phone_call",
        subject="Richiamare il cliente",
        due=dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC),
    )
    return case, call


@pytest.mark.parametrize("language", LANGUAGES)
def test_agent_edits_an_open_activity_from_the_timeline(
    open_session: Callable[..., Session],
    agent: Any,
    case_with_call: tuple[Any, Any],
    language: str,
) -> None:
    w = WORDS[language]
    case, call = case_with_call
    s = open_session(agent, language)
    page = s.page
    s.go(f"/cases/{case.pk}/")
    timeline = page.locator("#timeline")
    # The completed task offers no edit; the open call does.
    done = timeline.locator("li", has_text="Verificare la garanzia")
    expect(done.get_by_role("link", name=re.compile(f"^{w['edit_activity']}:"))).to_have_count(0)
    timeline.locator("li", has_text="Richiamare il cliente").get_by_role(
        "link", name=re.compile(f"^{w['edit_activity']}:")
    ).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(w["edit_activity"])
    expect(page.get_by_label(w["due"])).to_have_value("2026-03-02T09:30")
    page.get_by_label(w["subject"], exact=True).fill("Richiamare il cliente per il sopralluogo")
    page.get_by_label(w["due"]).fill("2026-03-05T10:30")
    page.get_by_label(w["direction"]).select_option("outgoing")
    page.get_by_label(w["duration"]).fill("20")
    page.get_by_label(w["description"]).fill("Concordare giorno e ora con il titolare.")
    s.shot("activity-edit")
    s.no_horizontal_scroll()
    page.get_by_role("button", name=w["save"], exact=True).click()

    expect(page.locator(".messages")).to_contain_text(w["activity_saved"])
    edited = page.locator("#timeline li", has_text="Richiamare il cliente per il sopralluogo")
    expect(edited).to_contain_text("Concordare giorno e ora con il titolare.")
    expect(edited).to_contain_text("20 min")
    call.refresh_from_db()
    assert (call.direction, call.duration_minutes, call.due, call.version) == (
        "outgoing",
        20,
        dt.datetime(2026, 3, 5, 10, 30, tzinfo=dt.UTC),
        2,
    )


def test_the_activity_edit_page_fits_a_narrow_window(
    open_session: Callable[..., Session], agent: Any, case_with_call: tuple[Any, Any]
) -> None:
    _case, call = case_with_call
    s = open_session(agent, "it", width=390, height=844)
    s.go(f"/activities/{call.pk}/edit/")
    expect(s.page.get_by_role("heading", level=1)).to_contain_text(WORDS["it"]["edit_activity"])
    s.no_horizontal_scroll()
