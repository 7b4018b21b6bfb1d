"""The seed's procedures on an open case, end to end in a browser, in English and Italian:
add activities, resolve (open-activities warning and Confirm), cancel, merge, reactivate,
assign, add to a queue, save and route, and find a solution in similar cases."""

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


@pytest.fixture
def account(agent: Any) -> Any:
    from casedesk.customers import services

    return services.account_create(actor=agent, name="Ottica Rossi")


@pytest.fixture
def new_case(agent: Any, account: Any) -> Callable[..., Any]:
    from casedesk.cases.services import records
    from casedesk.cases.services.common import Ref

    def make(title: str = "Lettore di badge guasto", **kwargs: Any) -> Any:
        return records.case_create(
            actor=agent, title=title, customer=Ref("account", account.pk), **kwargs
        )

    return make


def _open(s: Session, case: Any) -> None:
    s.go(f"/cases/{case.pk}/")
    expect(s.page.get_by_role("heading", level=1)).to_have_text(case.title)


def _message(s: Session, text: str) -> None:
    expect(s.page.locator(".messages")).to_contain_text(text)


@pytest.mark.parametrize("language", LANGUAGES)
def test_agent_logs_a_call_then_resolves_the_case_confirming_the_open_task(
    open_session: Callable[..., Session], agent: Any, new_case: Any, language: str
) -> None:
    w = WORDS[language]
    case = new_case()
    s = open_session(agent, language)
    page = s.page
    _open(s, case)
    timeline = page.locator("#timeline")
    # A phone call, completed with its duration, and a task left open.
    for subject in ("Chiamata al cliente", "Sostituire il lettore"):
        # The composer's activity tab (the reply tab has a subject of its own).
        timeline.get_by_text(w["activity_tab"], exact=True).click()
        add = timeline.locator(".panel-activity")
        kind = w["phone_call"] if subject.startswith("Chiamata") else w["task"]
        add.get_by_label(w["activity_type"]).select_option(label=kind)
        add.get_by_label(w["subject"], exact=True).fill(subject)
        add.get_by_role("button", name=w["add_activity"]).click()
        expect(timeline).to_contain_text(subject)
    call = timeline.locator("li", has_text="Chiamata al cliente")
    call.get_by_label(w["actual_duration"]).fill("30")
    call.get_by_role("button", name=w["mark_complete"]).click()
    expect(timeline.locator("li", has_text="Chiamata al cliente")).to_contain_text(w["completed"])
    s.shot("case-timeline")

    page.get_by_role("button", name=w["resolve_case"]).click()
    dialog = page.locator("#dialog-resolve")
    expect(dialog).to_be_visible()
    expect(dialog.locator("[data-total-time]")).to_have_text("30 min")
    expect(dialog.get_by_label(w["billable"])).to_have_value("30")
    expect(dialog.get_by_role("alert")).to_contain_text(w["open_warning"])
    dialog.get_by_label(w["resolution_type"]).select_option(label=w["information_provided"])
    dialog.get_by_label(w["resolution"], exact=True).fill("Lettore sostituito in garanzia.")
    dialog.get_by_label(w["billable"]).fill("20")
    s.shot("dialog-resolve")
    dialog.get_by_role("button", name=w["confirm"]).click()
    _message(s, w["resolved_msg"])
    expect(timeline).to_contain_text(w["case_resolution"])
    expect(timeline).to_contain_text("Lettore sostituito in garanzia.")

    case.refresh_from_db()
    assert (case.status, case.total_minutes, case.billable_minutes) == (
        "information_provided",
        30,
        20,
    )

    # Reactivate.
    page.get_by_role("button", name=w["reactivate"]).first.click()
    page.locator("#dialog-reactivate").get_by_role("button", name=w["reactivate"]).click()
    _message(s, w["reactivated_msg"])
    case.refresh_from_db()
    assert case.state == "active"


@pytest.mark.parametrize("language", LANGUAGES)
def test_agent_cancels_one_case_and_merges_a_duplicate(
    open_session: Callable[..., Session], agent: Any, new_case: Any, language: str
) -> None:
    w = WORDS[language]
    doomed = new_case(title="Richiesta ritirata")
    master = new_case(title="Badge non funziona")
    duplicate = new_case(title="Badge non funziona (di nuovo)")
    s = open_session(agent, language)
    page = s.page

    _open(s, doomed)
    page.get_by_role("button", name=w["cancel_case"]).click()
    dialog = page.locator("#dialog-cancel")
    dialog.get_by_label(w["cancelled"], exact=True).check()
    dialog.get_by_role("button", name=w["confirm"]).click()
    _message(s, w["cancelled_msg"])

    _open(s, duplicate)
    page.get_by_role("button", name=w["cancel_case"]).click()
    dialog.get_by_label(w["merged"], exact=True).check()
    dialog.get_by_label(w["merge_into"]).select_option(
        label=f"{master.ticket_number} {master.title}"
    )
    s.shot("dialog-cancel-merge")
    dialog.get_by_role("button", name=w["confirm"]).click()
    _message(s, w["merged_msg"])
    expect(page.get_by_role("link", name=re.compile("Badge non funziona$"))).to_be_visible()

    doomed.refresh_from_db()
    duplicate.refresh_from_db()
    assert doomed.status == "cancelled"
    assert (duplicate.status, duplicate.merged_into_id) == ("merged", master.pk)


@pytest.mark.parametrize("language", LANGUAGES)
def test_agent_assigns_queues_and_routes_a_case(
    open_session: Callable[..., Session],
    agent: Any,
    manager: Any,
    new_case: Any,
    language: str,
) -> None:
    from casedesk.routing.services import queues, rule_sets
    from casedesk.routing.services.rule_sets import RuleItemSpec

    w = WORDS[language]
    tier2 = queues.queue_create(actor=manager, name="Supporto Tier 2")
    vip = queues.queue_create(actor=manager, name="Clienti VIP")
    rule_set = rule_sets.rule_set_create(
        actor=manager,
        name="Distribuzione standard",
        items=[
            RuleItemSpec(
                name="Alta priorità",
                conditions=[{"field": "priority", "op": "eq", "value": "high"}],
                queue_id=vip.pk,
            )
        ],
    )
    rule_sets.rule_set_activate(actor=manager, rule_set_id=rule_set.pk)
    case = new_case()
    s = open_session(agent, language)
    page = s.page
    _open(s, case)

    page.get_by_role("button", name=w["add_to_queue"]).click()
    dialog = page.locator("#dialog-queue")
    dialog.get_by_label(w["queue"]).select_option(label="Supporto Tier 2")
    dialog.get_by_role("button", name=w["add"], exact=True).click()
    expect(page.locator("[data-case-queue]")).to_contain_text("Supporto Tier 2")

    page.get_by_label(w["priority"]).select_option(label=w["high"])
    page.get_by_role("button", name=w["save_and_route"]).first.click()
    route = page.locator("#dialog-route")
    expect(route).to_be_visible()
    s.shot("dialog-route")
    route.get_by_role("button", name=w["route"], exact=True).click()
    _message(s, w["routed_msg"])
    expect(page.locator("[data-case-queue]")).to_contain_text("Clienti VIP")

    page.get_by_role("button", name=w["assign"], exact=True).click()
    assign = page.locator("#dialog-assign")
    assign.get_by_label(w["assign_to"]).select_option(label=manager.display_name)
    assign.get_by_role("button", name=w["assign"], exact=True).click()
    expect(page.locator("[data-case-owner]")).to_contain_text(manager.display_name)

    case.refresh_from_db()
    assert (case.priority, case.owner_user_id) == ("high", manager.pk)
    del tier2


@pytest.mark.parametrize("language", LANGUAGES)
def test_agent_finds_the_solution_in_a_similar_resolved_case(
    open_session: Callable[..., Session], agent: Any, new_case: Any, language: str
) -> None:
    from casedesk.cases.services import lifecycle

    w = WORDS[language]
    solved = new_case(title="Interruzione del servizio a Verona")
    lifecycle.case_resolve(
        actor=agent, case_id=solved.pk, resolution="Riavviato il router di zona."
    )
    case = new_case(title="Interruzioni del servizio in centro")
    s = open_session(agent, language)
    page = s.page
    _open(s, case)
    page.get_by_role("link", name=w["find_similar"]).click()
    page.get_by_label(w["keywords"]).fill("interruzioni servizio")
    page.get_by_role("button", name=w["search"], exact=True).click()
    row = page.locator("tr", has_text="Interruzione del servizio a Verona")
    expect(row).to_contain_text("Riavviato il router di zona.")
    s.shot("similar-cases")
    row.get_by_role("button", name=re.compile(w["solution_found"])).click()
    expect(page.locator("#similar")).to_contain_text("Interruzione del servizio a Verona")
    expect(page.locator("#similar .solution")).to_be_visible()


@pytest.mark.parametrize("language", LANGUAGES)
def test_agent_creates_a_child_case_and_reads_the_history(
    open_session: Callable[..., Session], agent: Any, new_case: Any, language: str
) -> None:
    w = WORDS[language]
    parent = new_case(title="Guasto rete in tutto il negozio")
    s = open_session(agent, language)
    page = s.page
    _open(s, parent)
    page.get_by_role("link", name=w["create_child"]).click()
    expect(page.get_by_label(w["case_title"])).to_have_value("Guasto rete in tutto il negozio")
    page.get_by_label(w["case_title"]).fill("Guasto rete: cassa 2")
    page.locator("#case-form").get_by_role("button", name=w["save"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Guasto rete: cassa 2")
    expect(page.locator("#family")).to_contain_text(w["parent_case"])
    expect(page.locator("#family")).to_contain_text("Guasto rete in tutto il negozio")
    page.get_by_role("link", name=w["history"]).click()
    expect(page.locator("table.list")).to_contain_text(w["web_ui"])
    s.shot("case-history")
