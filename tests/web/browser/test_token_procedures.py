"""API tokens on the profile, end to end in a browser, in English and Italian: create one, see
its secret once and the token listed, revoke it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.browser.conftest import Session
from tests.web.browser.words import WORDS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
LANGUAGES = ["en", "it"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_user_creates_sees_and_revokes_an_api_token_on_the_profile(
    open_session: Callable[..., Session], agent: Any, language: str
) -> None:
    from casedesk.directory import services

    w = WORDS[language]
    s = open_session(agent, language)
    page = s.page
    s.go("/")
    page.get_by_role("link", name=agent.display_name).click()
    tokens = page.get_by_role("region", name=w["api_tokens"])
    expect(tokens).to_be_visible()
    tokens.get_by_label(w["token_name"]).fill("Integrazione ERP")
    tokens.get_by_label(w["token_days"]).fill("30")
    tokens.get_by_role("button", name=w["create_token"]).click()
    expect(page.locator("[data-new-token]")).to_contain_text(w["token_shown_once"])
    secret = page.locator("[data-token-secret]").inner_text().strip()
    me = services.token_authenticate(secret)
    assert me is not None and me.pk == agent.pk
    # The bar shows the profile's address, not the form's: reloading the page sends nothing.
    assert page.url == f"{s.base_url}/profile/"
    row = page.locator("tr", has_text="Integrazione ERP")
    expect(row).to_contain_text(w["token_active"])
    s.shot("profile-tokens")
    s.no_horizontal_scroll()
    asked: list[str] = []

    def confirm(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", confirm)
    row.get_by_role("button", name=re.compile(f"^{w['revoke']}")).click()
    expect(page.locator(".messages")).to_contain_text(w["token_revoked"])
    expect(page.locator("[data-token-secret]")).to_have_count(0)
    expect(page.locator("tr", has_text="Integrazione ERP")).to_contain_text(
        w["token_revoked_state"]
    )
    assert services.token_authenticate(secret) is None
    assert len(asked) == 1  # revoking asked first


@pytest.mark.parametrize("language", LANGUAGES)
def test_profile_tokens_fit_a_phone_screen(
    open_session: Callable[..., Session], agent: Any, language: str
) -> None:
    from casedesk.directory import services

    services.token_create(user=agent, name="Integrazione ERP con un nome lungo")
    s = open_session(agent, language, width=390, height=844)
    s.go("/profile/")
    expect(s.page.locator("tr", has_text="Integrazione ERP")).to_be_visible()
    s.no_horizontal_scroll()
