"""The case page offers what the user may do now (casedesk.cases.allowed), and nothing else."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.test import Client

from casedesk.cases.services import config, lifecycle, merge
from casedesk.directory.access import SYSTEM

ENFORCED = {
    "in_progress": ["on_hold", "problem_solved"],
    "on_hold": ["in_progress", "cancelled"],
    "waiting_for_details": ["cancelled"],
    "researching": ["cancelled"],
    "problem_solved": [],
}


def _status_options(html: str) -> list[str]:
    select = re.search(r'<select name="status"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None
    return re.findall(r'<option value="([^"]+)"', select.group(1))


def test_status_select_offers_only_the_reachable_status_reasons_when_transitions_are_enforced(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    config.status_transitions_set(actor=SYSTEM, enforced=True, allowed=ENFORCED)
    html = web(agent).get(f"/cases/{case.pk}/").content.decode()
    assert _status_options(html) == ["in_progress", "on_hold"]


def test_status_select_offers_every_active_status_reason_when_transitions_are_not_enforced(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    html = web(agent).get(f"/cases/{case.pk}/").content.decode()
    assert _status_options(html) == [
        "in_progress",
        "on_hold",
        "waiting_for_details",
        "researching",
    ]


def test_resolve_and_cancel_buttons_disappear_when_the_map_lets_the_case_reach_neither(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case(status="on_hold")
    config.status_transitions_set(
        actor=SYSTEM, enforced=True, allowed={**ENFORCED, "on_hold": ["in_progress"]}
    )
    html = web(agent).get(f"/cases/{case.pk}/").content.decode()
    assert 'data-open-dialog="dialog-resolve"' not in html
    assert 'data-open-dialog="dialog-cancel"' not in html
    assert 'data-open-dialog="dialog-assign"' in html


def test_reactivate_button_disappears_when_the_enforced_map_forbids_it(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    lifecycle.case_resolve(actor=agent, case_id=case.pk, resolution="Reset.")
    config.status_transitions_set(actor=SYSTEM, enforced=True, allowed=ENFORCED)
    html = web(agent).get(f"/cases/{case.pk}/").content.decode()
    assert 'data-open-dialog="dialog-reactivate"' not in html
    assert "Reactivate the case to change it" not in html
    assert "Resolved and cancelled cases are read-only." in html


def test_merged_case_offers_no_change_when_its_owner_opens_it(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    master, case = make_case(title="Master"), make_case(title="Duplicate")
    merge.case_merge(actor=agent, case_id=case.pk, into_id=master.pk)
    html = web(agent).get(f"/cases/{case.pk}/").content.decode()
    assert "Reactivate the case to change it" not in html
    assert "A merged case cannot be changed" in html
    assert "choose one in the case details" not in html
    assert 'action="/cases/' not in html.split('id="timeline"')[1].split("</details>")[0]
    assert "Add an activity" not in html


def test_merged_case_notice_is_italian_when_the_browser_asks_for_it(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    master, case = make_case(title="Master"), make_case(title="Duplicate")
    merge.case_merge(actor=agent, case_id=case.pk, into_id=master.pk)
    html = web(agent, language="it").get(f"/cases/{case.pk}/").content.decode()
    assert "Un caso unito non può essere modificato" in html


def test_closed_case_form_opens_its_correctable_fields_to_a_manager_when_closed_updates_are_on(
    web: Callable[..., Client], agent: Any, manager: Any, make_case: Any
) -> None:
    case = make_case()
    lifecycle.case_resolve(actor=agent, case_id=case.pk, resolution="Reset.")
    config.service_settings_update(actor=SYSTEM, changes={"allow_closed_updates": True})
    client = web(manager)
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert re.search(r'<input type="text" name="title"[^>]*>', html)
    assert not re.search(r'<input type="text" name="title"[^>]*disabled', html)
    assert re.search(r'<select name="origin"[^>]*disabled', html)
    response = client.post(
        f"/cases/{case.pk}/",
        {
            "title": "Router replaced",
            "priority": "high",
            "version": case.version + 1,
            "customer": "x",  # a closed field: ignored
            "origin": "email",  # a closed field: ignored
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    case.refresh_from_db()
    assert (case.title, case.priority, case.origin) == ("Router replaced", "high", "phone")
    assert case.state == "resolved"


def test_closed_case_form_stays_read_only_to_an_agent_when_closed_updates_are_on(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    lifecycle.case_resolve(actor=agent, case_id=case.pk, resolution="Reset.")
    config.service_settings_update(actor=SYSTEM, changes={"allow_closed_updates": True})
    html = web(agent).get(f"/cases/{case.pk}/").content.decode()
    assert "<fieldset disabled>" in html
    assert "As a manager you may still correct" not in html


def test_merge_dialog_offers_only_the_cases_the_user_may_merge_into(
    web: Callable[..., Client], agent: Any, manager: Any, make_case: Any
) -> None:
    mine = make_case(title="Mine")
    theirs = make_case(owner=manager, title="The manager's")
    case = make_case(title="Duplicate")
    html = web(agent).get(f"/cases/{case.pk}/cancel/").content.decode()  # the dialog's page
    into = re.search(r'<select name="into"[^>]*>(.*?)</select>', html, re.S)
    assert into is not None
    assert str(mine.pk) in into.group(1) and str(theirs.pk) not in into.group(1)
