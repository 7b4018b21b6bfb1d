"""Administration › Business hours and SLAs, and an entitlement's SLA, through Django's test
client (docs/service-levels.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from casedesk.sla.models import Calendar, Sla
from casedesk.sla.services import calendars, slas

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(db: None) -> Callable[..., Client]:
    """A browser-like client signed in as `user`, asking for `language`."""

    def make(user: Any, *, language: str = "en") -> Client:
        client = Client(headers={"Accept-Language": language})
        client.force_login(user)
        return client

    return make


@pytest.fixture
def account(db: None, agent: Any) -> Any:
    from casedesk.customers import services

    return services.account_create(actor=agent, name="Città di Verona")


PAGES = ["/admin/calendars/", "/admin/calendars/new/", "/admin/slas/", "/admin/slas/new/"]


def _calendar(manager: Any) -> Calendar:
    return calendars.calendar_create(
        actor=manager,
        name="Rome office",
        time_zone="Europe/Rome",
        week={"mon": [["09:00", "18:00"]]},
    )


def _sla_post(**extra: Any) -> dict[str, Any]:
    data = {
        "name": "Standard",
        "pause_statuses": ["on_hold"],
        "items-TOTAL_FORMS": "2",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-name": "High priority response",
        "items-0-kpi": "first_response",
        "items-0-warn_after_minutes": "30",
        "items-0-fail_after_minutes": "60",
        "items-0-c1_field": "priority",
        "items-0-c1_op": "in",
        "items-0-c1_value": "high, normal",
        "items-0-w0": "notify:owner",
        "items-0-f2": "set_priority:high",
    }
    data.update(extra)
    return data


@pytest.mark.parametrize("path", PAGES)
def test_service_level_pages_are_for_managers(
    web: Callable[..., Client], agent: Any, manager: Any, path: str
) -> None:
    assert web(agent).get(path).status_code == 403
    assert web(manager).get(path).status_code == 200


def test_administration_links_the_service_level_pages(
    web: Callable[..., Client], manager: Any
) -> None:
    page = web(manager).get("/admin/").content.decode()
    assert 'href="/admin/calendars/"' in page and 'href="/admin/slas/"' in page


def test_manager_creates_and_edits_a_calendar_in_words(
    web: Callable[..., Client], manager: Any
) -> None:
    client = web(manager)
    response = client.post(
        "/admin/calendars/new/",
        {
            "name": "Rome office",
            "time_zone": "Europe/Rome",
            "mon": "9:00-13:00, 14:00-18:00",
            "fri": "09:00-13:00",
            "holidays": "2026-12-25\n\n2026-12-24\n",
            "holiday_country": "it",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/admin/calendars/"
    calendar = Calendar.objects.get()
    assert calendar.week["mon"] == [["09:00", "13:00"], ["14:00", "18:00"]]
    assert calendar.week["fri"] == [["09:00", "13:00"]] and calendar.week["tue"] == []
    assert calendar.holidays == ["2026-12-24", "2026-12-25"]
    assert calendar.holiday_country == "IT"
    page = client.get(f"/admin/calendars/{calendar.pk}/").content.decode()
    assert "09:00-13:00, 14:00-18:00" in page and "2026-12-24\n2026-12-25" in page
    listing = client.get("/admin/calendars/").content.decode()
    assert "Rome office" in listing and "Europe/Rome" in listing
    response = client.post(
        f"/admin/calendars/{calendar.pk}/",
        {"name": "Rome", "time_zone": "Europe/Rome", "tue": "10:00-12:00", "version": "1"},
    )
    assert response.status_code == 302
    calendar.refresh_from_db()
    assert calendar.week["tue"] == [["10:00", "12:00"]] and calendar.week["mon"] == []
    assert calendar.holidays == [] and calendar.holiday_country is None and calendar.version == 2


def test_calendar_refusals_are_shown_on_their_fields_in_italian(
    web: Callable[..., Client], manager: Any
) -> None:
    client = web(manager, language="it")
    response = client.post(
        "/admin/calendars/new/",
        {
            "name": "Roma",
            "time_zone": "Europe/Rome",
            "mon": "09:00-13:00, 12:00-18:00",
            "holiday_country": "ZZ",
        },
    )
    assert response.status_code == 422
    form = response.context["form"]
    assert form.errors["mon"] == [
        "Gli orari devono essere in ordine e non sovrapporsi, da 00:00 a 24:00."
    ]
    response = client.post(
        "/admin/calendars/new/",
        {"name": "Roma", "time_zone": "Europe/Rome", "mon": "9-18", "holidays": "25/12/2026"},
    )
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert errors["mon"] == ["Scrivi ogni intervallo come 09:00-13:00, separati da virgole."]
    assert errors["holidays"] == ["25/12/2026 non è una data come 2026-12-25."]
    response = client.post("/admin/calendars/new/", {"name": "Roma", "time_zone": "Europe/Rome"})
    assert response.status_code == 422
    assert response.context["form"].non_field_errors() == ["La settimana non ha orario di lavoro."]
    response = client.post(
        "/admin/calendars/new/",
        {"name": "Roma", "time_zone": "Europe/Rome", "mon": "09:00-18:00", "holiday_country": "ZZ"},
    )
    assert response.status_code == 422
    assert response.context["form"].errors["holiday_country"] == [
        "Inserisci un codice di paese supportato, come IT."
    ]
    assert not Calendar.objects.exists()


def test_manager_builds_an_sla_with_conditions_actions_and_a_calendar(
    web: Callable[..., Client], manager: Any
) -> None:
    from casedesk.routing.services import queues

    calendar = _calendar(manager)
    queue = queues.queue_create(actor=manager, name="Escalations")
    client = web(manager)
    response = client.post(
        "/admin/slas/new/",
        _sla_post(
            **{
                "is_default": "on",
                "items-0-f0": f"queue:{queue.pk}",
                "items-1-name": "Resolve in a day",
                "items-1-kpi": "resolve",
                "items-1-calendar": str(calendar.pk),
                "items-1-warn_after_minutes": "420",
                "items-1-fail_after_minutes": "480",
                "items-1-ORDER": "1",
                "items-0-ORDER": "2",
            }
        ),
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    sla = Sla.objects.get()
    assert response["Location"] == f"/admin/slas/{sla.pk}/"
    assert sla.is_default and not sla.active and sla.pause_statuses == ["on_hold"]
    resolve, respond = sla.items.order_by("position")
    assert (resolve.name, resolve.kpi, resolve.calendar_id) == (
        "Resolve in a day",
        "resolve",
        calendar.pk,
    )
    assert (resolve.conditions, resolve.on_warning, resolve.on_failure) == ([], [], [])
    assert respond.conditions == [{"field": "priority", "op": "in", "value": ["high", "normal"]}]
    assert respond.on_warning == [{"type": "notify", "to": "owner"}]
    assert respond.on_failure == [
        {"type": "queue", "queue_id": str(queue.pk)},
        {"type": "set_priority", "value": "high"},
    ]
    assert respond.calendar_id is None
    page = client.get(f"/admin/slas/{sla.pk}/").content.decode()
    assert 'value="High priority response"' in page and 'value="high, normal"' in page


def test_sla_refusals_are_shown_on_the_item_fields_in_italian(
    web: Callable[..., Client], manager: Any
) -> None:
    response = web(manager, language="it").post(
        "/admin/slas/new/",
        _sla_post(
            **{
                "items-0-warn_after_minutes": "90",
                "items-0-c1_op": "contains",
                "items-1-name": "high priority RESPONSE",
                "items-1-kpi": "resolve",
                "items-1-warn_after_minutes": "1",
                "items-1-fail_after_minutes": "2",
            }
        ),
    )
    assert response.status_code == 422
    first, second = response.context["formset"].forms[:2]
    assert first.errors["warn_after_minutes"] == ["L'avviso non deve arrivare dopo la violazione."]
    assert first.errors["c1_op"] == ["Questo operatore non si applica al campo scelto."]
    assert second.errors["name"] == ["Un altro elemento di questo SLA ha questo nome."]
    assert response.context["form"].non_field_errors() == ["Alcuni valori non sono validi."]
    assert not Sla.objects.exists()


def test_an_sla_needs_an_item(web: Callable[..., Client], manager: Any) -> None:
    response = web(manager).post(
        "/admin/slas/new/", _sla_post(**{"items-0-name": "", "items-0-kpi": ""})
    )
    assert response.status_code == 422
    assert "Add at least one item." in response.context["form"].non_field_errors()


def test_activated_sla_is_shown_read_only_in_words_and_deactivated(
    web: Callable[..., Client], manager: Any
) -> None:
    client = web(manager)
    client.post("/admin/slas/new/", _sla_post())
    sla = Sla.objects.get()
    response = client.post(f"/admin/slas/{sla.pk}/activate/", {"version": sla.version})
    assert response.status_code == 302 and response["Location"] == "/admin/slas/"
    sla.refresh_from_db()
    assert sla.active
    page = client.get(f"/admin/slas/{sla.pk}/").content.decode()
    assert "read-only" in page and "<form" in page and 'name="items-0-name"' not in page
    assert "Priority is one of High, Normal" in page
    assert "Notify the owner" in page and "Set the priority to High" in page
    # A stale edit form posted to an active SLA changes nothing.
    response = client.post(f"/admin/slas/{sla.pk}/", _sla_post(name="Changed", version=sla.version))
    assert response.status_code == 302
    sla.refresh_from_db()
    assert sla.name == "Standard"
    client.post(f"/admin/slas/{sla.pk}/deactivate/", {"version": sla.version})
    sla.refresh_from_db()
    assert not sla.active
    listing = client.get("/admin/slas/").content.decode()
    assert "data-confirm" in listing and "Standard" in listing


def test_activating_with_an_old_version_is_refused_with_a_message(
    web: Callable[..., Client], manager: Any
) -> None:
    sla = slas.sla_create(
        actor=manager,
        name="S",
        items=[{"name": "R", "kpi": "resolve", "warn_after_minutes": 1, "fail_after_minutes": 2}],
    )
    response = web(manager).post(f"/admin/slas/{sla.pk}/activate/", {"version": 7}, follow=True)
    assert response.redirect_chain[-1][0] == "/admin/slas/"
    assert "Someone else changed this record" in response.content.decode()
    sla.refresh_from_db()
    assert not sla.active


def test_entitlement_form_chooses_its_sla(
    web: Callable[..., Client], manager: Any, account: Any
) -> None:
    from casedesk.entitlements.models import Entitlement

    sla = slas.sla_create(
        actor=manager,
        name="Gold",
        items=[{"name": "R", "kpi": "resolve", "warn_after_minutes": 1, "fail_after_minutes": 2}],
    )
    client = web(manager)
    assert "Gold" in client.get("/entitlements/new/").content.decode()
    body = {
        "name": "Supporto 2026",
        "customer": f"account:{account.pk}",
        "start_date": "2020-01-01",
        "end_date": "2099-12-31",
        "allocation_type": "cases",
        "total_terms": "5",
        "decrease_on": "creation",
        "sla": str(sla.pk),
    }
    response = client.post("/entitlements/new/", body)
    assert response.status_code == 302
    entitlement = Entitlement.objects.get()
    assert entitlement.sla_id == sla.pk
    detail = client.get(f"/entitlements/{entitlement.pk}/").content.decode()
    assert f'href="/admin/slas/{sla.pk}/"' in detail
    response = client.post(
        f"/entitlements/{entitlement.pk}/edit/", {**body, "sla": "", "version": entitlement.version}
    )
    assert response.status_code == 302
    entitlement.refresh_from_db()
    assert entitlement.sla_id is None


def test_garbage_posted_to_the_service_level_pages_is_refused_not_a_server_error(
    web: Callable[..., Client], manager: Any
) -> None:
    calendar = _calendar(manager)
    item = {"name": "R", "kpi": "resolve", "warn_after_minutes": 1, "fail_after_minutes": 2}
    draft = slas.sla_create(actor=manager, name="Draft", items=[item])
    active = slas.sla_create(actor=manager, name="Active", items=[item])
    slas.sla_activate(actor=manager, sla_id=active.pk)
    garbage: list[dict[str, Any]] = [
        {},
        {
            "name": "\x00",
            "time_zone": "Mars/Olympus",
            "mon": "25:00-26:00",
            "holidays": "2026-02-30",
            "holiday_country": "x" * 20,
            "version": "x",
            "pause_statuses": ["merged"],
            "items-TOTAL_FORMS": "x",
        },
        _sla_post(
            **{
                "items-0-kpi": "uptime",
                "items-0-calendar": "nope",
                "items-0-w0": "queue:not-a-uuid",
                "items-0-c0_field": "customer.id",
                "items-0-c0_op": "eq",
                "items-0-c0_value": "not-a-uuid",
                "items-0-warn_after_minutes": "99999999999",
            }
        ),
    ]
    client = web(manager)
    for url in (
        "/admin/calendars/new/",
        f"/admin/calendars/{calendar.pk}/",
        "/admin/slas/new/",
        f"/admin/slas/{draft.pk}/",
        f"/admin/slas/{active.pk}/",
        f"/admin/slas/{draft.pk}/activate/",
        f"/admin/slas/{active.pk}/deactivate/",
    ):
        for data in garbage:
            assert client.post(url, data).status_code < 500, (url, data)
