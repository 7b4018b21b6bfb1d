"""The case list, the new case form and the case page, through Django's test client."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from casedesk.cases.models import Case

pytestmark = pytest.mark.django_db


def _form(case: Case, **changes: Any) -> dict[str, Any]:
    data = {
        "title": case.title,
        "customer": f"account:{case.customer_account_id}",
        "contact": str(case.contact_id or ""),
        "subject": "",
        "product": "",
        "origin": case.origin,
        "case_type": case.case_type or "",
        "priority": case.priority,
        "description": case.description,
        "status": case.status,
        "decrement_entitlement_terms": "on",
        "version": case.version,
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    "path", ["/cases/", "/cases/new/", "/customers/", "/profile/", "/lookup/customers/?q=x"]
)
def test_pages_send_anonymous_visitors_to_sign_in_when_not_signed_in(path: str) -> None:
    response = Client().get(path)
    if path.startswith("/lookup/"):
        assert response.status_code == 401
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_case_page_sends_anonymous_visitors_to_sign_in_when_not_signed_in(
    make_case: Callable[..., Any],
) -> None:
    case = make_case()
    response = Client().get(f"/cases/{case.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_my_active_cases_lists_only_my_cases_when_others_have_cases(
    web: Callable[..., Client], agent: Any, make_user: Callable[..., Any], make_case: Any
) -> None:
    other = make_user("agent")
    make_case(title="Mine")
    make_case(owner=other, title="Theirs")
    body = web(agent).get("/cases/").content.decode()
    assert "Mine" in body and "Theirs" not in body
    everyone = web(agent).get("/cases/?view=active").content.decode()
    assert "Mine" in everyone and "Theirs" in everyone


def test_case_list_pages_with_the_keyset_cursor_when_there_are_many_cases(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    for i in range(27):
        make_case(title=f"Case number {i:02d}")
    client = web(agent)
    first = client.get("/cases/?view=active&sort=number")
    titles = re.findall(r"Case number (\d\d)", first.content.decode())
    assert titles[:2] == ["00", "01"] and len(titles) == 25
    cursor = first.context["next_cursor"]
    assert cursor
    second = client.get("/cases/", {"view": "active", "sort": "number", "cursor": cursor})
    assert re.findall(r"Case number (\d\d)", second.content.decode()) == ["25", "26"]
    assert second.context["next_cursor"] is None


@pytest.mark.parametrize(
    "path",
    ["/cases/?view=active", "/customers/", "/entitlements/", "/contracts/", "/queues/", "history"],
)
def test_every_list_refuses_a_tampered_cursor_with_a_message_without_a_server_error(
    web: Callable[..., Client], manager: Any, make_case: Any, path: str
) -> None:
    if path == "history":
        path = f"/cases/{make_case().pk}/history/?"
    separator = "&" if "?" in path else "?"
    response = web(manager).get(f"{path}{separator}cursor=forged")
    assert response.status_code == 400
    assert "could not be understood" in response.content.decode()


def test_case_list_costs_a_constant_number_of_queries_when_the_page_grows(
    web: Callable[..., Client],
    agent: Any,
    make_case: Any,
    django_assert_max_num_queries: Any,
) -> None:
    client = web(agent)
    make_case()
    client.get("/cases/?view=active")
    with django_assert_max_num_queries(13) as few:  # 12, and one for the view tabs' counts
        client.get("/cases/?view=active")
    for _ in range(20):
        make_case()
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/cases/?view=active")


def test_case_list_filters_by_status_when_one_is_chosen(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    make_case(title="Waiting one", status="on_hold")
    make_case(title="Busy one")
    body = web(agent).get("/cases/?view=active&status=on_hold").content.decode()
    assert "Waiting one" in body and "Busy one" not in body


def test_new_case_creates_the_case_with_channel_ui_when_the_form_is_valid(
    web: Callable[..., Client], agent: Any, account: Any, contact: Any
) -> None:
    response = web(agent, csrf=False).post(
        "/cases/new/",
        {
            "title": "Portal down",
            "customer": f"account:{account.pk}",
            "contact": str(contact.pk),
            "origin": "email",
            "priority": "high",
        },
    )
    case = Case.objects.get(title="Portal down")
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    assert (case.contact_id, case.origin, case.priority) == (contact.pk, "email", "high")
    from casedesk.core.models import AuditEntry

    entry = AuditEntry.objects.get(entity_id=case.pk, action="create")
    assert entry.channel == "ui" and entry.actor_id == agent.pk


def test_new_case_rerenders_with_errors_when_title_and_customer_are_missing(
    web: Callable[..., Client], agent: Any
) -> None:
    response = web(agent).post("/cases/new/", {"title": "  ", "origin": "phone"})
    assert response.status_code == 422
    form = response.context["form"]
    assert "title" in form.errors and "customer" in form.errors
    assert not Case.objects.exists()


def test_new_case_shows_the_services_refusal_on_the_contact_when_it_is_not_the_customers(
    web: Callable[..., Client], agent: Any, account: Any
) -> None:
    from casedesk.customers import services

    stranger = services.contact_create(actor=agent, last_name="Rossi")
    response = web(agent).post(
        "/cases/new/",
        {
            "title": "Portal down",
            "customer": f"account:{account.pk}",
            "contact": str(stranger.pk),
            "origin": "phone",
            "priority": "normal",
        },
    )
    assert response.status_code == 422
    assert "contact" in response.context["form"].errors
    assert not Case.objects.exists()


def test_new_case_refuses_an_over_long_title_like_the_api(
    web: Callable[..., Client], agent: Any, account: Any
) -> None:
    response = web(agent).post(
        "/cases/new/",
        {"title": "x" * 201, "customer": f"account:{account.pk}", "origin": "phone"},
    )
    assert response.status_code == 422 and "title" in response.context["form"].errors


def test_new_case_needs_a_csrf_token(web: Callable[..., Client], agent: Any, account: Any) -> None:
    response = web(agent, csrf=True).post(
        "/cases/new/", {"title": "Portal down", "customer": f"account:{account.pk}"}
    )
    assert response.status_code == 403
    assert not Case.objects.exists()


def test_new_case_prefills_the_customer_and_shows_its_recent_cases(
    web: Callable[..., Client], agent: Any, account: Any, make_case: Any
) -> None:
    make_case(title="Earlier trouble")
    body = web(agent).get(f"/cases/new/?customer=account:{account.pk}").content.decode()
    assert "Earlier trouble" in body and 'value="Città di Verona"' in body


def test_case_page_saves_changes_and_bumps_the_version_when_the_version_matches(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    response = web(agent).post(
        f"/cases/{case.pk}/", _form(case, title="Printer fixed?", priority="low")
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.title, case.priority, case.version) == ("Printer fixed?", "low", 2)


def test_case_page_refuses_a_stale_form_when_someone_saved_in_between(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    stale = _form(case, title="Mine")
    web(agent).post(f"/cases/{case.pk}/", _form(case, title="Theirs"))
    response = web(agent).post(f"/cases/{case.pk}/", stale)
    assert response.status_code == 412
    assert "Someone else changed this record" in response.content.decode()
    case.refresh_from_db()
    assert case.title == "Theirs"


def test_case_page_forbids_an_agent_changing_another_agents_case(
    web: Callable[..., Client], agent: Any, make_user: Callable[..., Any], make_case: Any
) -> None:
    other = make_user("agent")
    case = make_case()
    client = web(other)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "only its owner" in page
    response = client.post(f"/cases/{case.pk}/", _form(case, title="Hijacked"))
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.title == "Printer offline"


def test_case_page_lets_a_manager_change_any_case(
    web: Callable[..., Client], manager: Any, make_case: Any
) -> None:
    case = make_case()
    response = web(manager).post(f"/cases/{case.pk}/", _form(case, title="Managed"))
    assert response.status_code == 302


def test_case_page_rerenders_with_errors_when_the_title_is_blank(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    response = web(agent).post(f"/cases/{case.pk}/", _form(case, title=""))
    assert response.status_code == 422 and "title" in response.context["form"].errors


def test_case_page_answers_404_for_an_unknown_case(web: Callable[..., Client], agent: Any) -> None:
    response = web(agent).get("/cases/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404


def test_process_bar_moves_the_stage_when_the_version_matches(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    response = web(agent).post(
        f"/cases/{case.pk}/stage/", {"stage": "resolve", "version": case.version}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.stage == "resolve"


def test_process_bar_refuses_a_stale_version(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    response = web(agent).post(f"/cases/{case.pk}/stage/", {"stage": "resolve", "version": 99})
    assert response.status_code == 412
    case.refresh_from_db()
    assert case.stage == "identify"


def test_case_page_speaks_italian_with_the_seeds_words(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    body = web(agent, language="it").get(f"/cases/{case.pk}/").content.decode()
    for word in ("Titolo caso", "Cliente", "Argomento", "Priorità", "Trova caso", "Identificare"):
        assert word in body, word


def test_new_case_offers_find_case_before_creating(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case(title="Stampante del magazzino offline")
    client = web(agent)
    page = client.get("/cases/new/").content.decode()
    assert 'name="q"' in page and 'action="/cases/find/"' in page
    found = client.get("/cases/find/", {"q": case.ticket_number})
    assert case.title in found.content.decode()


def test_case_page_keeps_offering_the_case_contact_when_the_account_has_hundreds(
    web: Callable[..., Client], agent: Any, account: Any, make_case: Any
) -> None:
    from casedesk.customers import services

    for i in range(201):
        services.contact_create(
            actor=agent, first_name="Anna", last_name=f"Ambrosi {i:03d}", account_id=account.pk
        )
    last = services.contact_create(
        actor=agent, first_name="Zeno", last_name="Zanetti", account_id=account.pk
    )
    case = make_case(contact_id=last.pk, given=frozenset({"contact_id"}))
    html = web(agent).get(f"/cases/{case.pk}/").content.decode()
    assert re.search(rf'<option value="{last.pk}" selected>Zeno Zanetti</option>', html)


def test_case_page_names_the_contract_line_the_case_bills_to_among_the_customers_lines(
    web: Callable[..., Client],
    agent: Any,
    manager: Any,
    account: Any,
    make_case: Any,
) -> None:
    import datetime as dt

    from casedesk.cases.services.common import Ref
    from casedesk.core import clock
    from casedesk.customers import services as customers
    from casedesk.entitlements.services import contracts

    today = clock.today()
    year = {"start_date": today - dt.timedelta(days=30), "end_date": today + dt.timedelta(days=300)}
    contract = contracts.contract_create(
        actor=manager, name="Assistenza 2026", customer=Ref("account", account.pk), **year
    )
    line = contracts.contract_line_create(
        actor=manager, contract_id=contract.pk, name="Interventi", allotment_type="cases", total=5
    )
    other = customers.account_create(actor=agent, name="Altra Srl")
    foreign = contracts.contract_create(
        actor=manager, name="Contratto altrui", customer=Ref("account", other.pk), **year
    )
    contracts.contract_line_create(
        actor=manager, contract_id=foreign.pk, name="Non mio", allotment_type="cases", total=5
    )
    case = make_case()
    client = web(agent)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Assistenza 2026 › Interventi" in page and "Non mio" not in page

    response = client.post(f"/cases/{case.pk}/", _form(case, contract_line=str(line.pk)))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.contract_line_id == line.pk

    # A line of another customer's contract is refused and nothing changes.
    response = client.post(
        f"/cases/{case.pk}/", _form(case, contract_line=str(foreign.lines.get().pk))
    )
    assert response.status_code == 422
    case.refresh_from_db()
    assert case.contract_line_id == line.pk


def test_case_page_offers_no_contract_line_when_the_customer_has_no_contract(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    page = web(agent).get(f"/cases/{case.pk}/").content.decode()
    assert 'name="contract_line"' not in page


def test_case_header_says_who_works_it_how_old_it_is_and_the_terms_left(
    web: Callable[..., Client], agent: Any, manager: Any, make_case: Any
) -> None:
    from casedesk.routing.services import items, queues

    queue = queues.queue_create(actor=manager, name="Tier 1")
    case = make_case()
    items.queue_item_add(actor=agent, case_id=case.pk, queue_id=queue.pk)
    from casedesk.routing.models import QueueItem

    items.queue_item_pick(actor=agent, item_id=QueueItem.objects.get(case=case).pk)
    page = web(agent, language="it").get(f"/cases/{case.pk}/").content.decode()
    assert "Tier 1 · lavorato da " + agent.display_name in page
    assert "data-case-age" in page and " fa</span>" in page
    assert "data-case-modified" in page


def test_the_composer_opens_on_a_note_and_the_timeline_filters_by_kind(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    from casedesk.cases.services import activities

    case = make_case()
    activities.note_create(actor=agent, case_id=case.pk, text="Checked the cabling.")
    activities.activity_create(
        actor=agent, case_id=case.pk, type="phone_call", subject="Called back"
    )
    client = web(agent)

    def timeline(**query: str) -> str:
        page = client.get(f"/cases/{case.pk}/", query).content.decode()
        return page[
            page.index('<ol class="timeline"') : page.index(
                "</ol>", page.index('<ol class="timeline"')
            )
        ]

    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="compose-note" class="tab-input" checked' in page
    both = timeline()
    assert "Checked the cabling." in both and "Called back" in both
    notes = timeline(show="notes")
    assert "Checked the cabling." in notes and "Called back" not in notes
    calls = timeline(show="activities")
    assert "Called back" in calls and "Checked the cabling." not in calls
    assert client.get(f"/cases/{case.pk}/", {"show": "nonsense"}).status_code == 200


def test_a_refused_activity_reopens_the_composer_on_its_tab(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    response = web(agent).post(f"/cases/{case.pk}/activities/", {"type": "phone_call"})
    assert response.status_code == 422
    assert 'id="compose-activity" class="tab-input" checked' in response.content.decode()


def test_case_page_queries_do_not_grow_with_timeline_owners_or_queues(
    web: Callable[..., Client],
    manager: Any,
    make_user: Any,
    make_case: Any,
    django_assert_max_num_queries: Any,
) -> None:
    from casedesk.cases.services import activities
    from casedesk.routing.services.queues import queue_create

    case = make_case(owner=manager)
    member = make_user("agent", teams=["First line"])
    queue_create(actor=manager, name="Tier 1", member_ids=[member.pk])
    activities.note_create(actor=manager, case_id=case.pk, text="First note")
    activities.activity_create(actor=manager, case_id=case.pk, type="task", subject="Call back")
    client = web(manager)
    first = client.get(f"/cases/{case.pk}/")
    # The assign and queue dialogs are on the page, their bodies fetched when opened.
    assert b'id="dialog-assign"' in first.content and b'id="dialog-queue"' in first.content
    with django_assert_max_num_queries(60) as few:
        client.get(f"/cases/{case.pk}/")
    count = len(few.captured_queries)  # before the next request resets the query log
    counts = {}
    for name in ("assign", "queue"):
        with django_assert_max_num_queries(60) as few:
            client.get(f"/cases/{case.pk}/{name}/", HTTP_HX_REQUEST="true")
        counts[name] = len(few.captured_queries)
    for n in range(8):
        make_user("agent", teams=[f"Team {n}"])
        queue_create(actor=manager, name=f"Queue {n}", member_ids=[member.pk, manager.pk])
        activities.note_create(actor=manager, case_id=case.pk, text=f"Note {n}")
        activities.activity_create(actor=manager, case_id=case.pk, type="task", subject=f"T{n}")
        activities.post_create(actor=manager, case_id=case.pk, text=f"Post {n}")
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Note 7" in body
    assert "Team 7" in client.get(f"/cases/{case.pk}/assign/").content.decode()
    assert "Queue 7" in client.get(f"/cases/{case.pk}/queue/").content.decode()
    with django_assert_max_num_queries(count):
        client.get(f"/cases/{case.pk}/")
    for name in ("assign", "queue"):
        with django_assert_max_num_queries(counts[name]):
            client.get(f"/cases/{case.pk}/{name}/", HTTP_HX_REQUEST="true")


def test_the_open_activities_are_counted_whether_the_timeline_is_whole_or_paged(
    web: Callable[..., Client], manager: Any, make_case: Any, monkeypatch: Any
) -> None:
    from casedesk.cases.services import activities
    from casedesk.web.views import case_page

    case = make_case(owner=manager)
    for subject in ("One", "Two"):
        activities.activity_create(actor=manager, case_id=case.pk, type="task", subject=subject)
    done = activities.activity_create(actor=manager, case_id=case.pk, type="task", subject="x")
    activities.activity_cancel(actor=manager, activity_id=done.pk)
    activities.note_create(actor=manager, case_id=case.pk, text="A note")
    client = web(manager)
    assert client.get(f"/cases/{case.pk}/").context["open_activities"] == 2
    monkeypatch.setattr(case_page, "TIMELINE_PAGE", 1)  # older entries on later pages
    first = client.get(f"/cases/{case.pk}/")
    assert first.context["timeline_next"] and first.context["open_activities"] == 2
    older = client.get(f"/cases/{case.pk}/?timeline={first.context['timeline_next']}")
    assert older.context["open_activities"] == 2
    assert client.get(f"/cases/{case.pk}/?show=notes").context["open_activities"] == 2
