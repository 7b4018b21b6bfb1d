"""An administrator deactivates a user and moves them to another team, in a browser, in English
and Italian, with screenshots of the user's page and the team's page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.web.browser.conftest import Session
from tests.web.browser.words import WORDS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.mark.parametrize("language", ["en", "it"])
def test_admin_deactivates_a_user_and_moves_them_to_another_team(
    open_session: Callable[..., Session],
    admin: Any,
    make_user: Callable[..., Any],
    language: str,
) -> None:
    from casedesk.cases.models import Case
    from casedesk.cases.services import records
    from casedesk.cases.services.common import Ref
    from casedesk.customers.services import account_create
    from casedesk.directory.models import Team, User
    from casedesk.directory.services import team_create

    w = WORDS[language]
    luca = make_user("agent", username="luca", full_name="Luca Ferrari", teams=["Tier 1"])
    team_create(actor=admin, name="Tier 2")
    account = account_create(actor=luca, name="Farmacia Centrale")
    case = records.case_create(
        actor=luca, title="Registratore bloccato", customer=Ref("account", account.pk)
    )

    s = open_session(admin, language)
    page = s.page
    s.go("/")
    page.get_by_role("link", name=w["administration"]).click()
    page.get_by_role("link", name=w["users_and_teams"]).click()
    page.get_by_role("link", name="luca", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Luca Ferrari")
    page.get_by_label(w["active"], exact=True).uncheck()
    s.shot("admin-user-edit")
    page.get_by_role("button", name=w["save"], exact=True).click()
    expect(page.locator(".messages")).to_contain_text(w["user_saved"])
    expect(page.locator("tr", has_text="Luca Ferrari")).to_contain_text(w["inactive"])

    page.get_by_role("link", name="Tier 2", exact=True).click()
    page.get_by_label(w["inactive_member"].format(name="Luca Ferrari"), exact=True).check()
    s.shot("admin-team-edit")
    page.get_by_role("button", name=w["save"], exact=True).click()
    expect(page.locator(".messages")).to_contain_text(w["team_saved"])
    page.get_by_role("link", name="Tier 1", exact=True).click()
    page.get_by_label(w["inactive_member"].format(name="Luca Ferrari"), exact=True).uncheck()
    page.get_by_role("button", name=w["save"], exact=True).click()
    expect(page.locator(".messages")).to_contain_text(w["team_saved"])
    row = page.locator("tr", has_text="Luca Ferrari")
    expect(row).to_contain_text("Tier 2")
    expect(row).not_to_contain_text("Tier 1")

    stored = User.objects.get(pk=luca.pk)
    assert not stored.is_active
    assert list(stored.teams.values_list("name", flat=True)) == ["Tier 2"]
    assert Team.objects.get(name="Tier 1").members.count() == 0
    assert Case.objects.get(pk=case.pk).owner_user_id == luca.pk


def test_user_and_team_pages_fit_a_narrow_window(
    open_session: Callable[..., Session], admin: Any, make_user: Callable[..., Any]
) -> None:
    from casedesk.directory.models import Team

    luca = make_user("agent", username="luca", full_name="Luca Ferrari", teams=["Tier 1"])
    team = Team.objects.get(name="Tier 1")
    s = open_session(admin, "it", width=390, height=844)
    for path in ("/admin/users/", f"/admin/users/{luca.pk}/", f"/admin/teams/{team.pk}/"):
        s.go(path)
        expect(s.page.get_by_role("heading", level=1)).to_be_visible()
        s.no_horizontal_scroll()
