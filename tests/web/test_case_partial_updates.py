"""The case page's parts updated in place with htmx (docs/web.md#partial-updates): the
timeline's filter, the composer and the timeline's activities, whose answer refreshes every
form that carries the case's version, and the dialogs, whose refusal stays in the dialog.
Without htmx the same addresses answer as before (POST, then a redirect)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from casedesk.cases.models import Activity, Case, Note

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def _call(agent: Any, case: Case) -> Activity:
    from casedesk.cases.services import activities

    return activities.activity_create(
        actor=agent, case_id=case.pk, type="phone_call", subject="Call back"
    )


def _part(body: str, start: str, end: str) -> str:
    """The text of `body` from `start` to the first `end` after it."""
    i = body.index(start)
    return body[i : body.index(end, i)]


def _versions(html: str) -> set[str]:
    return set(re.findall(r'name="version" value="(\d+)"', html))


def test_the_timeline_filter_answers_the_timeline_alone_to_htmx(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    client = web(agent)
    client.post(f"/cases/{case.pk}/notes/", {"text": "Customer prefers e-mail."})
    _call(agent, case)
    response = client.get(
        f"/cases/{case.pk}/", {"show": "notes"}, headers={**HX, "HX-Target": "timeline"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section class="card" id="timeline"')
    assert "<html" not in body and 'id="casehead"' not in body
    assert "Customer prefers e-mail." in body and "Call back" not in body
    assert 'id="tl-show-notes" hx-get="?show=notes"' in body
    assert re.search(r'id="tl-show-notes"[^>]*aria-current="true"', body)
    assert "HX-Request" in response["Vary"]
    # Without htmx, and when the browser restores its history, the whole page.
    for headers in ({}, {**HX, "HX-Target": "timeline", "HX-History-Restore-Request": "true"}):
        page = client.get(f"/cases/{case.pk}/", {"show": "notes"}, headers=headers)
        assert "<html" in page.content.decode()
        assert "X-Casedesk-Fragment" not in page


def test_a_note_added_with_htmx_answers_the_timeline_and_the_versioned_parts(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    response = web(agent).post(
        f"/cases/{case.pk}/notes/?show=all",
        {"text": "Customer prefers e-mail.", "read_version": case.version},
        headers=HX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert response["X-Casedesk-Fragment"] == "1"
    assert "<html" not in body
    assert body.lstrip().startswith('<section class="card" id="timeline"')
    timeline = _part(body, '<ol class="timeline"', "</ol>")
    assert "Customer prefers e-mail." in timeline
    # The composer is reset: an empty note on its tab.
    composer = _part(body, 'class="composer"', '<nav class="tl-filter"')
    assert re.search(r'id="compose-note" class="tab-input" checked', composer)
    assert "Customer prefers e-mail." not in composer
    for oob in (
        'id="casehead" hx-swap-oob="true"',
        'id="process" class="card" hx-swap-oob="true"',
        '<div id="case-side" hx-swap-oob="true">',
        '<div id="case-dialogs" hx-swap-oob="true">',
        '<div id="messages" hx-swap-oob="innerHTML">',
    ):
        assert oob in body
    assert "The note was added." in _part(body, '<div id="messages"', "</div>")
    assert Note.objects.filter(case=case).count() == 1


def test_a_refused_composer_form_comes_back_on_its_tab_with_its_errors(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    response = web(agent).post(
        f"/cases/{case.pk}/activities/",
        {"type": "phone_call", "subject": "", "duration_minutes": "-3"},
        headers=HX,
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert response["X-Casedesk-Fragment"] == "1"  # casedesk.js swaps it despite the 422
    assert "<html" not in body
    composer = _part(body, 'class="composer"', '<nav class="tl-filter"')
    assert re.search(r'id="compose-activity" class="tab-input" checked', composer)
    assert not re.search(r'id="compose-note" class="tab-input" checked', composer)
    assert 'aria-invalid="true"' in _part(composer, 'class="panel panel-activity"', "</form>")
    assert not Activity.objects.filter(case=case).exists()


def test_without_htmx_the_composer_still_posts_and_redirects(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    client = web(agent)
    response = client.post(f"/cases/{case.pk}/notes/", {"text": "Customer prefers e-mail."})
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pk}/#timeline"
    refused = client.post(f"/cases/{case.pk}/notes/", {"text": " "})
    assert refused.status_code == 422 and "<html" in refused.content.decode()


def test_a_write_in_place_refreshes_every_form_carrying_the_case_version(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    """Completing a call in place moves the case's version (its total time): the answer
    carries the new version to the header, the process bar, the side panels, the dialogs and
    the case form, so that the next command is not refused as stale."""
    case = make_case()
    call = _call(agent, case)
    case.refresh_from_db()
    client = web(agent)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    read = case.version
    # The command dialogs' bodies are fetched when opened: the page's shells carry no version.
    assert _versions(_part(page, '<dialog id="dialog-resolve"', "</dialog>")) == set()
    response = client.post(
        f"/activities/{call.pk}/complete/",
        {"version": call.version, "duration_minutes": "15", "read_version": read},
        headers=HX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.version > read  # the write moved the version
    new = str(case.version)
    for start, end in (
        ('id="process"', "</section>"),
        ('<div id="case-side"', '<div id="case-dialogs"'),
    ):
        assert _versions(_part(body, start, end)) == {new}, start
    # A dialog opened before is emptied, out of band: it fetches the new version when opened.
    for name in ("resolve", "assign", "cancel"):
        shell = _part(body, f'<dialog id="dialog-{name}"', "</dialog>")
        assert _versions(shell) == set() and f'data-src="/cases/{case.pk}/{name}/"' in shell
        target = {**HX, "HX-Target": f"dialog-{name}"}
        opened = client.get(f"/cases/{case.pk}/{name}/", headers=target)
        assert _versions(opened.content.decode()) == {new}, name
    assert f'name="version" value="{new}" id="id_version" hx-swap-oob="true"' in body
    assert f'id="case-read-version" value="{new}" hx-swap-oob="true"' in body
    # The version the page showed before is stale now; the refreshed one resolves the case.
    data = {"resolution_type": "problem_solved", "resolution": "Done.", "billable_minutes": "15"}
    stale = client.post(f"/cases/{case.pk}/resolve/", {**data, "version": read}, headers=HX)
    assert stale.status_code == 412
    done = client.post(f"/cases/{case.pk}/resolve/", {**data, "version": new}, headers=HX)
    assert done.status_code == 200 and done["HX-Redirect"] == f"/cases/{case.pk}/"
    case.refresh_from_db()
    assert case.state == "resolved"


def test_the_case_form_keeps_its_version_when_someone_else_changed_the_case(
    web: Callable[..., Client], agent: Any, manager: Any, make_case: Any
) -> None:
    """The case form holds fields its user read: after a change by someone else its version
    stays, and saving it is refused as stale instead of overwriting that change."""
    from casedesk.cases.fields import CaseChanges
    from casedesk.cases.services import records

    case = make_case()
    read = case.version
    records.case_update(
        actor=manager, case_id=case.pk, changes=CaseChanges(title="Printer on fire")
    )
    case.refresh_from_db()
    response = web(agent).post(
        f"/cases/{case.pk}/notes/", {"text": "Seen.", "read_version": read}, headers=HX
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_version"' not in body and 'id="case-read-version"' not in body
    # The header shows the change, with its version.
    assert "Printer on fire" in _part(body, 'id="casehead"', "</header>")
    assert _versions(_part(body, 'id="process"', "</section>")) == {str(case.version)}


def test_a_dialog_refused_with_htmx_answers_its_form_with_the_refusal(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    client = web(agent)
    invalid = client.post(
        f"/cases/{case.pk}/resolve/", {"version": case.version, "resolution": ""}, headers=HX
    )
    body = invalid.content.decode()
    assert invalid.status_code == 422
    assert invalid["X-Casedesk-Fragment"] == "1"
    assert body.lstrip().startswith("<form") and body.rstrip().endswith("</form>")
    assert 'hx-target="this"' in body and 'aria-invalid="true"' in body
    assert "<dialog" not in body and 'id="timeline"' not in body
    stale = client.post(
        f"/cases/{case.pk}/assign/",
        {"version": case.version + 5, "owner": f"user:{agent.pk}"},
        headers=HX,
    )
    body = stale.content.decode()
    assert stale.status_code == 412
    assert "data-dialog-error" in body and 'id="dialog-assign-title"' in body
    # The refusal was shown in the dialog, not kept for the next page.
    assert "data-dialog-error" not in client.get(f"/cases/{case.pk}/").content.decode()
    assert 'class="messages"' not in client.get(f"/cases/{case.pk}/").content.decode()


def test_a_dialog_without_htmx_is_a_page_and_still_redirects_or_comes_back(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    client = web(agent)
    opened = client.get(f"/cases/{case.pk}/assign/")
    page = opened.content.decode()
    assert opened.status_code == 200 and "<html" in page and 'id="dialog-assign-title"' in page
    # On its page the dialog's "Cancel" is a link back to the case.
    assert f'<a class="button" href="/cases/{case.pk}/">Cancel</a>' in page
    refused = client.post(f"/cases/{case.pk}/assign/", {"version": case.version + 5})
    assert refused.status_code == 422
    page = refused.content.decode()
    assert "<html" in page and 'id="dialog-assign-title"' in page and "aria-invalid" in page
    done = client.post(
        f"/cases/{case.pk}/assign/", {"version": case.version, "owner": f"user:{agent.pk}"}
    )
    assert done.status_code == 302 and done["Location"] == f"/cases/{case.pk}/"


def test_the_case_page_fetches_a_command_dialog_when_it_opens(
    web: Callable[..., Client], agent: Any, make_user: Any, make_case: Any
) -> None:
    case = make_case()
    client = web(agent)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    # The shells only: no owner list, no merge candidates, no resolution form on the page.
    for name in ("resolve", "cancel", "assign"):
        shell = _part(page, f'<dialog id="dialog-{name}"', "</dialog>")
        assert f'data-src="/cases/{case.pk}/{name}/"' in shell and "<form" not in shell
        # Each command is a GET form opening that address without JavaScript.
        assert f'<form method="get" action="/cases/{case.pk}/{name}/"' in page
    answer = client.get(f"/cases/{case.pk}/resolve/", headers={**HX, "HX-Target": "dialog-resolve"})
    body = answer.content.decode()
    assert answer.status_code == 200 and answer["X-Casedesk-Fragment"] == "1"
    assert body.lstrip().startswith("<form") and "<html" not in body
    assert 'name="resolution_type"' in body and "data-close-dialog" in body
    # Someone who may not take the action is sent to the case page.
    other = web(make_user("agent"))
    assert other.get(f"/cases/{case.pk}/resolve/")["Location"] == f"/cases/{case.pk}/"
    sent = other.get(f"/cases/{case.pk}/resolve/", headers={**HX, "HX-Target": "dialog-resolve"})
    assert sent["HX-Redirect"] == f"/cases/{case.pk}/"
