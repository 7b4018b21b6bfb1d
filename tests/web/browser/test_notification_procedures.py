"""Notifications end to end in a browser: `@` completion in the note box by keyboard, the
mentioned user's bell and notifications page, following a case (docs/notifications.md)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.browser.conftest import Session

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def case(agent: Any) -> Any:
    from casedesk.cases.services import records
    from casedesk.cases.services.common import Ref
    from casedesk.customers import services as customers

    account = customers.account_create(actor=agent, name="Ottica Rossi")
    return records.case_create(
        actor=agent, title="Lettore di badge guasto", customer=Ref("account", account.pk)
    )


def test_a_mention_typed_with_the_keyboard_reaches_the_bell_of_the_user_named(
    open_session: Callable[..., Session], agent: Any, make_user: Any, case: Any
) -> None:
    marco = make_user("agent", username="marco", full_name="Marco Rossi")
    s = open_session(agent)
    page = s.page
    s.go(f"/cases/{case.pk}/")
    # The composer opens on a note.
    box = page.locator("textarea[data-mention-url]")
    box.click()
    box.press_sequentially("Please check @mar")
    option = page.get_by_role("option", name="@marco Marco Rossi")
    expect(option).to_be_visible()
    expect(box).to_have_attribute("aria-activedescendant", re.compile(r"^mention-list-"))
    box.press("Enter")
    expect(box).to_have_value("Please check @marco ")
    expect(page.get_by_role("listbox")).to_be_hidden()
    expect(box).not_to_have_attribute("aria-activedescendant", re.compile(".+"))
    box.press_sequentially("thanks")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator(".messages")).to_be_visible()

    page.get_by_role("button", name="Follow", exact=True).click()
    expect(page.get_by_role("button", name="Unfollow")).to_be_visible()

    m = open_session(marco, "it")
    m.go("/")
    bell = m.page.locator("[data-bell]")
    expect(bell.locator("[data-bell-count]")).to_have_text("1")
    bell.click()
    item = m.page.locator("[data-notification]")
    expect(item).to_contain_text("Anna Agente ti ha menzionato in una nota")
    m.shot("notifications")
    m.page.get_by_role("button", name="Segna tutte come lette").click()
    expect(m.page.locator("[data-bell-count]")).to_have_text("0")
