"""Editing an open activity from the case timeline, through Django's test client: who is offered
it, what the form shows and saves (only what changed, at the version read), and the refusals."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from casedesk.cases.models import Activity, Case
from casedesk.core.models import AuditEntry

pytestmark = pytest.mark.django_db
DUE = dt.datetime(2026, 3, 2, 9, 30, 41, tzinfo=dt.UTC)


def _activity(owner: Any, case: Case, type: str = "phone_call", **fields: Any) -> Activity:
    from casedesk.cases.services import activities

    fields.setdefault("subject", "Richiamare il cliente")
    return activities.activity_create(actor=owner, case_id=case.pk, type=type, **fields)


def _form(activity: Activity, **changes: Any) -> dict[str, Any]:
    """The edit form as the browser posts it, untouched unless `changes` say otherwise."""

    def when(value: dt.datetime | None) -> str:
        return value.strftime("%Y-%m-%dT%H:%M") if value else ""

    data = {
        "subject": activity.subject,
        "direction": activity.direction or "",
        "due": when(activity.due),
        "scheduled_start": when(activity.scheduled_start),
        "scheduled_end": when(activity.scheduled_end),
        "duration_minutes": "" if activity.duration_minutes is None else activity.duration_minutes,
        "description": activity.description,
        "version": activity.version,
    }
    data.update(changes)
    return data


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _edit_url(activity: Activity) -> str:
    return f"/activities/{activity.pk}/edit/"


def test_the_timeline_offers_edit_for_open_activities_only(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    from casedesk.cases.services import activities

    case = make_case()
    open_call = _activity(agent, case, subject="Ancora aperta")
    done = _activity(agent, case, subject="Già fatta")
    activities.activity_complete(actor=agent, activity_id=done.pk, duration_minutes=5)
    page = _text(web(agent).get(f"/cases/{case.pk}/"))
    assert f'href="{_edit_url(open_call)}" aria-label="Edit activity: Ancora aperta"' in page
    assert _edit_url(done) not in page


def test_another_agent_is_not_offered_the_edit_and_is_refused_it(
    web: Callable[..., Client], agent: Any, make_user: Any, make_case: Any
) -> None:
    case = make_case()
    call = _activity(agent, case)
    other = web(make_user("agent"))
    assert _edit_url(call) not in _text(other.get(f"/cases/{case.pk}/"))
    shown = other.get(_edit_url(call))
    assert shown.status_code == 302 and shown["Location"] == f"/cases/{case.pk}/#timeline"
    refused = other.post(_edit_url(call), _form(call, subject="Preso da me"))
    assert refused.status_code == 403
    assert "You are not allowed to do this." in _text(refused)
    call.refresh_from_db()
    assert (call.subject, call.version) == ("Richiamare il cliente", 1)


def test_the_owner_of_an_activity_edits_it_on_a_case_no_longer_theirs(
    web: Callable[..., Client], agent: Any, manager: Any, make_user: Any, make_case: Any
) -> None:
    from casedesk.cases.services import assignment
    from casedesk.cases.services.common import Ref

    case = make_case()
    call = _activity(agent, case)
    colleague = make_user("agent")
    assignment.case_assign(actor=manager, case_id=case.pk, owner=Ref("user", colleague.pk))
    client = web(agent)
    page = _text(client.get(f"/cases/{case.pk}/"))
    assert _edit_url(call) in page and "Mark complete" in page
    saved = client.post(_edit_url(call), _form(call, subject="Richiamato, in attesa"))
    assert saved.status_code == 302
    call.refresh_from_db()
    assert call.subject == "Richiamato, in attesa"


def test_the_form_shows_the_activity_as_it_is(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    call = _activity(
        agent,
        case,
        description="Chiede un tecnico",
        due=DUE,
        direction="outgoing",
        duration_minutes=15,
    )
    response = web(agent).get(_edit_url(call))
    page = _text(response)
    assert response.status_code == 200
    assert "Edit activity: Richiamare il cliente" in page
    assert 'value="Richiamare il cliente"' in page
    assert 'type="datetime-local" name="due" value="2026-03-02T09:30"' in page
    assert '<option value="outgoing" selected>' in page
    assert 'value="15"' in page and "Chiede un tecnico</textarea>" in page
    assert f'<a href="/cases/{case.pk}/#timeline">Cancel</a>' in page


def test_saving_changes_only_what_the_user_changed_and_goes_back_to_the_timeline(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    call = _activity(agent, case, due=DUE, description="Prima")
    response = web(agent).post(
        _edit_url(call),
        _form(call, subject="Richiamare entro le 12", duration_minutes="20", description="Dopo"),
    )
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pk}/#timeline"
    call.refresh_from_db()
    assert (call.subject, call.duration_minutes, call.description, call.version) == (
        "Richiamare entro le 12",
        20,
        "Dopo",
        2,
    )
    assert call.due == DUE  # untouched: its seconds are kept
    audit = AuditEntry.objects.filter(entity_id=call.pk, action="update").get()
    assert audit.channel == "ui"
    assert set(audit.changes) == {"subject", "duration_minutes", "description"}


def test_an_unchanged_form_changes_nothing(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    call = _activity(agent, make_case(), due=DUE)
    assert web(agent).post(_edit_url(call), _form(call)).status_code == 302
    call.refresh_from_db()
    assert call.version == 1
    assert not AuditEntry.objects.filter(entity_id=call.pk, action="update").exists()


def test_an_appointment_is_rescheduled_and_an_emptied_due_date_is_cleared(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    visit = _activity(
        agent,
        make_case(),
        type="appointment",
        subject="Sopralluogo",
        due=DUE,
        scheduled_start=DUE,
        scheduled_end=DUE + dt.timedelta(hours=1),
    )
    response = web(agent).post(
        _edit_url(visit),
        _form(visit, due="", scheduled_start="2026-03-05T14:00", scheduled_end="2026-03-05T16:00"),
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.due is None
    assert (visit.scheduled_start, visit.scheduled_end) == (
        dt.datetime(2026, 3, 5, 14, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 5, 16, 0, tzinfo=dt.UTC),
    )


def test_only_phone_calls_and_e_mails_offer_a_direction(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    client = web(agent)
    for kind, offered in (("phone_call", True), ("email", True), ("task", False)):
        page = _text(client.get(_edit_url(_activity(agent, case, type=kind))))
        assert ('name="direction"' in page) is offered, kind


def test_invalid_values_show_the_form_again_with_their_reasons(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    call = _activity(agent, make_case())
    client = web(agent)
    blank = client.post(_edit_url(call), _form(call, subject="  ", duration_minutes="-3"))
    assert blank.status_code == 422
    assert {"subject", "duration_minutes"} <= set(blank.context["form"].errors)
    backwards = client.post(
        _edit_url(call),
        _form(call, scheduled_start="2026-03-05T16:00", scheduled_end="2026-03-05T14:00"),
    )
    assert backwards.status_code == 422
    assert backwards.context["form"].errors["scheduled_end"] == [
        "The end must not be before the start."
    ]
    call.refresh_from_db()
    assert call.version == 1 and call.scheduled_start is None


def test_a_stale_form_is_refused_and_keeps_the_other_change(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    from casedesk.cases.services import activities

    call = _activity(agent, make_case())
    stale = _form(call, subject="La mia modifica")
    activities.activity_update(actor=agent, activity_id=call.pk, changes={"subject": "Prima io"})
    response = web(agent).post(_edit_url(call), stale)
    assert response.status_code == 412
    assert "Someone else changed this record" in _text(response)
    call.refresh_from_db()
    assert call.subject == "Prima io"


def test_a_closed_activity_is_not_offered_for_editing(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    from casedesk.cases.services import activities

    case = make_case()
    call = _activity(agent, case)
    activities.activity_cancel(actor=agent, activity_id=call.pk)
    shown = web(agent).get(_edit_url(call), follow=True)
    assert shown.redirect_chain == [(f"/cases/{case.pk}/#timeline", 302)]
    assert "The activity is closed and can no longer be changed." in _text(shown)


def test_the_service_refuses_a_form_opened_before_the_activity_was_closed(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    """Between showing the form and saving it, the activity is completed: the service refuses
    (409) and the form says why."""
    from casedesk.cases.services import activities

    call = _activity(agent, make_case())
    client = web(agent)
    assert client.get(_edit_url(call)).status_code == 200
    completed = activities.activity_complete(actor=agent, activity_id=call.pk)
    # Even a form at the version the completion left is refused: the activity is closed.
    response = client.post(
        _edit_url(call), _form(call, subject="Dopo la chiusura", version=completed.version)
    )
    assert response.status_code == 409
    assert "The activity is closed and can no longer be changed." in _text(response)
    call.refresh_from_db()
    assert (call.subject, call.state) == ("Richiamare il cliente", "completed")


def test_the_edit_page_speaks_italian(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    call = _activity(agent, make_case())
    page = _text(web(agent, language="it").get(_edit_url(call)))
    assert "Modifica impegno" in page and "Oggetto" in page and "Telefonata" in page
