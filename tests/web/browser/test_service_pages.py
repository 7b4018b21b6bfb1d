"""Queues, the case list's bulk routing, the dashboard, entitlements, administration and the
profile, end to end in a browser, in English and Italian, with screenshots."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.web.browser.conftest import Session
from tests.web.browser.words import WORDS

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
LANGUAGES = ["en", "it"]


@pytest.fixture
def world(agent: Any, manager: Any) -> dict[str, Any]:
    from casedesk.cases.services import records
    from casedesk.cases.services.common import Ref
    from casedesk.customers import services as customers
    from casedesk.routing.services import items, queues

    account = customers.account_create(actor=agent, name="Farmacia Centrale")
    queue = queues.queue_create(actor=manager, name="Supporto Tier 1")
    cases = [
        records.case_create(
            actor=agent, title=title, customer=Ref("account", account.pk), priority=priority
        )
        for title, priority in (
            ("Registratore di cassa bloccato", "high"),
            ("Fattura da correggere", "normal"),
            ("Richiesta di formazione", "low"),
        )
    ]
    items.queue_item_add(actor=agent, case_id=cases[0].pk, queue_id=queue.pk)
    return {"account": account, "queue": queue, "cases": cases}


@pytest.mark.parametrize("language", LANGUAGES)
def test_agent_picks_and_releases_a_queue_item(
    open_session: Callable[..., Session],
    make_user: Callable[..., Any],
    world: dict[str, Any],
    language: str,
) -> None:
    w = WORDS[language]
    colleague = make_user("agent", full_name="Luca Ferrari")
    s = open_session(colleague, language)
    page = s.page
    s.go("/")
    page.get_by_role("navigation", name=re.compile("Service|Servizio")).get_by_role(
        "link", name=w["queues"], exact=True
    ).click()
    row = page.locator("tr", has_text="Registratore di cassa bloccato")
    expect(row).to_contain_text("Supporto Tier 1")
    s.shot("queue-items")
    row.get_by_role("button", name=re.compile(f"^{w['pick']}:")).click()
    page.get_by_role("link", name=w["items_mine"]).click()
    mine = page.locator("tr", has_text="Registratore di cassa bloccato")
    expect(mine).to_contain_text("Luca Ferrari")
    mine.get_by_role("button", name=re.compile(f"^{w['release']}:")).click()
    expect(page.locator("tr", has_text="Registratore di cassa bloccato")).to_have_count(0)


@pytest.mark.parametrize("language", LANGUAGES)
def test_agent_applies_the_routing_rule_to_selected_cases_from_the_list(
    open_session: Callable[..., Session],
    agent: Any,
    manager: Any,
    world: dict[str, Any],
    language: str,
) -> None:
    from casedesk.routing.services import queues, rule_sets
    from casedesk.routing.services.rule_sets import RuleItemSpec

    w = WORDS[language]
    urgent = queues.queue_create(actor=manager, name="Urgenze")
    rule_set = rule_sets.rule_set_create(
        actor=manager,
        name="Standard",
        items=[
            RuleItemSpec(
                name="Bassa priorità",
                conditions=[{"field": "priority", "op": "eq", "value": "low"}],
                queue_id=urgent.pk,
            )
        ],
    )
    rule_sets.rule_set_activate(actor=manager, rule_set_id=rule_set.pk)
    s = open_session(agent, language)
    page = s.page
    s.go("/cases/?view=active")
    page.get_by_role("checkbox", name=re.compile("CAS-.*")).first.wait_for()
    low = world["cases"][2]
    page.get_by_role("checkbox", name=re.compile(low.ticket_number)).check()
    s.shot("case-list-bulk")
    page.get_by_role("button", name=w["apply_routing_rule"]).click()
    expect(page.locator(".messages")).to_contain_text(w["one_case_done"])
    from casedesk.routing.models import QueueItem

    assert QueueItem.objects.get(case_id=low.pk, state="open").queue_id == urgent.pk


def test_the_list_selects_every_row_and_the_queue_filter_applies_at_once(
    open_session: Callable[..., Session],
    agent: Any,
    manager: Any,
    world: dict[str, Any],
) -> None:
    from casedesk.routing.services import items, queues

    billing = queues.queue_create(actor=manager, name="Amministrazione")
    items.queue_item_add(actor=agent, case_id=world["cases"][1].pk, queue_id=billing.pk)
    s = open_session(agent, "en")
    page = s.page
    s.go("/cases/?view=active")
    rows = page.get_by_role("checkbox", name=re.compile("CAS-.*"))
    expect(rows).to_have_count(3)
    every = page.get_by_role("checkbox", name="Select all cases on this page")
    every.check()
    for i in range(3):
        expect(rows.nth(i)).to_be_checked()
    every.uncheck()
    for i in range(3):
        expect(rows.nth(i)).not_to_be_checked()

    s.go("/queues/")
    expect(page.locator("tbody tr")).to_have_count(2)
    page.get_by_label("Queue", exact=True).select_option(label="Amministrazione")
    expect(page).to_have_url(re.compile(f"queue={billing.pk}"))
    expect(page.locator("tbody tr")).to_have_count(1)
    expect(page.locator("tbody tr")).to_contain_text("Fattura da correggere")


@pytest.mark.parametrize("language", LANGUAGES)
def test_dashboard_shows_the_charts(
    open_session: Callable[..., Session], manager: Any, world: dict[str, Any], language: str
) -> None:
    w = WORDS[language]
    s = open_session(manager, language)
    s.go("/")
    expect(s.page.get_by_role("heading", name=w["open_by_status"])).to_be_visible()
    # The bars are drawn for the eye (aria-hidden); the same numbers are a table for screen
    # readers: the world's three open cases, all in progress.
    expect(s.page.locator(".hbars").first).to_be_visible()
    by_status = s.page.get_by_role("table", name=w["open_by_status"])
    expect(by_status.get_by_role("row").first.get_by_role("cell")).to_have_text("3")
    s.shot("dashboard")
    s.no_horizontal_scroll()


@pytest.mark.parametrize("language", LANGUAGES)
def test_manager_creates_and_activates_an_entitlement_then_sees_it_on_a_new_case(
    open_session: Callable[..., Session], manager: Any, world: dict[str, Any], language: str
) -> None:
    w = WORDS[language]
    s = open_session(manager, language)
    page = s.page
    s.go("/entitlements/")
    page.get_by_role("link", name=w["new_entitlement"]).click()
    page.get_by_label(w["name"], exact=True).fill("Assistenza 2026")
    lookup = page.get_by_role("combobox", name=w["customer"])
    lookup.fill("farmacia")
    page.get_by_role("option", name=re.compile("Farmacia Centrale")).click()
    page.get_by_label(w["start_date"]).fill("2020-01-01")
    page.get_by_label(w["end_date"]).fill("2099-12-31")
    page.get_by_label(w["total_terms"]).fill("10")
    s.shot("entitlement-form")
    page.get_by_role("button", name=w["save"], exact=True).click()
    page.get_by_role("button", name=w["activate"], exact=True).click()
    expect(page.locator("[data-entitlement-state]")).to_have_text(w["active"])
    s.shot("entitlement-ledger")
    s.go(f"/cases/new/?customer=account:{world['account'].pk}")
    expect(page.locator("#customer-panel [data-entitlements]")).to_contain_text("Assistenza 2026")


@pytest.mark.parametrize("language", LANGUAGES)
def test_manager_writes_a_routing_rule_set_in_the_conditions_editor(
    open_session: Callable[..., Session], manager: Any, world: dict[str, Any], language: str
) -> None:
    w = WORDS[language]
    s = open_session(manager, language)
    page = s.page
    s.go("/")
    page.get_by_role("link", name=w["administration"]).click()
    page.get_by_role("link", name=w["routing_rule_sets"]).click()
    page.get_by_role("link", name=w["new_rule_set"]).click()
    page.get_by_label(w["name"], exact=True).fill("Distribuzione 2026")
    first = page.locator("ol.ruleitems > li").first
    first.get_by_label(w["rule_name"]).fill("Alta priorità in Tier 1")
    first.get_by_label(w["route_to"]).select_option(label="Supporto Tier 1")
    first.locator("select[name$='c0_field']").select_option("priority")
    first.locator("select[name$='c0_op']").select_option("eq")
    first.locator("input[name$='c0_value']").fill("high")
    s.shot("rule-set-editor")
    page.get_by_role("button", name=w["save"], exact=True).click()
    expect(page.locator(".messages")).to_contain_text(w["rule_set_saved"])
    from casedesk.routing.models import RoutingRuleSet

    item = RoutingRuleSet.objects.get(name="Distribuzione 2026").items.get()
    assert item.conditions == [{"field": "priority", "op": "eq", "value": "high"}]


def test_admin_pages_render_for_screenshots(
    open_session: Callable[..., Session], admin: Any, world: dict[str, Any]
) -> None:
    for language in LANGUAGES:
        s = open_session(admin, language)
        for path, name in (
            ("/admin/transitions/", "admin-transitions"),
            ("/admin/service/", "admin-service-settings"),
            ("/admin/users/", "admin-users-teams"),
            ("/admin/queues/", "admin-queues"),
            ("/customers/", "customers"),
        ):
            s.go(path)
            expect(s.page.get_by_role("heading", level=1)).to_be_visible()
            s.shot(name)


@pytest.mark.parametrize("language", LANGUAGES)
def test_user_signs_in_and_chooses_the_language_in_the_profile(
    open_session: Callable[..., Session], agent: Any, language: str
) -> None:
    w = WORDS[language]
    other = "it" if language == "en" else "en"
    s = open_session(None, language)
    page = s.page
    s.go("/cases/")
    page.get_by_label(w["user_name"]).fill(agent.username)
    page.get_by_label(w["password"]).fill(PASSWORD)
    s.shot("login")
    page.get_by_role("button", name=w["sign_in"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(w["my_active"])
    page.get_by_role("link", name=agent.display_name).click()
    page.get_by_label(w["language"], exact=True).last.select_option(other)
    page.locator("main").get_by_role("button", name=w["save"], exact=True).click()
    expect(page.locator(".messages")).to_contain_text(WORDS[other]["profile_saved"])
    expect(page.locator("html")).to_have_attribute("lang", other)
