"""The case page's commands and timeline through Django's test client: resolve (with the
open-activities warning), cancel, merge, reactivate, assign, add to queue, save and route,
activities, notes, posts, similar cases, child cases and the history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from casedesk.cases.models import Activity, Case

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(manager: Any, agent: Any) -> Any:
    from casedesk.routing.services import queues

    return queues.queue_create(actor=manager, name="Tier 2")


def _activity(agent: Any, case: Case, subject: str = "Call back") -> Activity:
    from casedesk.cases.services import activities

    return activities.activity_create(
        actor=agent, case_id=case.pk, type="phone_call", subject=subject
    )


def test_resolve_closes_the_case_with_a_resolution_when_nothing_is_open(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    response = web(agent).post(
        f"/cases/{case.pk}/resolve/",
        {
            "version": case.version,
            "resolution_type": "problem_solved",
            "resolution": "Restarted the spooler.",
            "billable_minutes": "15",
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.state, case.status, case.billable_minutes) == ("resolved", "problem_solved", 15)


def test_resolve_warns_about_open_activities_and_resolves_on_confirm(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    call = _activity(agent, case)
    case.refresh_from_db()
    data = {
        "version": case.version,
        "resolution_type": "problem_solved",
        "resolution": "Done.",
    }
    client = web(agent)
    page = client.get(f"/cases/{case.pk}/resolve/").content.decode()  # the dialog's page
    assert "1 open activity" in page
    refused = client.post(f"/cases/{case.pk}/resolve/", data)
    assert refused.status_code == 409
    assert "1 open activity" in refused.content.decode()
    case.refresh_from_db()
    assert case.state == "active"
    confirmed = client.post(f"/cases/{case.pk}/resolve/", {**data, "confirm": "1"})
    assert confirmed.status_code == 302
    case.refresh_from_db()
    call.refresh_from_db()
    assert case.state == "resolved" and call.state == "cancelled"


def test_resolve_rerenders_the_dialog_when_the_resolution_is_missing(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    response = web(agent).post(
        f"/cases/{case.pk}/resolve/",
        {"version": case.version, "resolution_type": "problem_solved", "resolution": ""},
    )
    assert response.status_code == 422
    assert response.context["open_dialog"] == "resolve"
    assert "resolution" in response.context["dialogs"]["resolve"].errors


def test_resolve_is_forbidden_to_an_agent_who_may_not_change_the_case(
    web: Callable[..., Client], agent: Any, make_user: Callable[..., Any], make_case: Any
) -> None:
    case = make_case()
    response = web(make_user("agent")).post(
        f"/cases/{case.pk}/resolve/",
        {"version": case.version, "resolution_type": "problem_solved", "resolution": "x"},
    )
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.state == "active"


def test_cancel_then_reactivate_returns_the_case_to_in_progress(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    client = web(agent)
    assert (
        client.post(
            f"/cases/{case.pk}/cancel/", {"version": case.version, "status": "cancelled"}
        ).status_code
        == 302
    )
    case.refresh_from_db()
    assert case.status == "cancelled"
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "dialog-reactivate" in page
    assert (
        client.post(f"/cases/{case.pk}/reactivate/", {"version": case.version}).status_code == 302
    )
    case.refresh_from_db()
    assert (case.state, case.status) == ("active", "in_progress")


def test_reactivating_an_active_case_is_refused_with_409(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    response = web(agent).post(f"/cases/{case.pk}/reactivate/", {"version": case.version})
    assert response.status_code == 409
    assert "already active" in response.content.decode()


def test_merge_needs_a_master_and_moves_the_case_into_it(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    master = make_case(title="Master")
    case = make_case(title="Duplicate")
    client = web(agent)
    missing = client.post(
        f"/cases/{case.pk}/cancel/", {"version": case.version, "status": "merged"}
    )
    assert missing.status_code == 422
    assert "into" in missing.context["dialogs"]["cancel"].errors
    merged = client.post(
        f"/cases/{case.pk}/cancel/",
        {"version": case.version, "status": "merged", "into": str(master.pk)},
    )
    assert merged.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.merged_into_id) == ("merged", master.pk)
    assert "This case was merged into" in client.get(f"/cases/{case.pk}/").content.decode()


def test_assign_makes_a_team_the_owner(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    from casedesk.directory.models import Team

    team = Team.objects.create(name="Billing")
    case = make_case()
    response = web(agent).post(
        f"/cases/{case.pk}/assign/", {"version": case.version, "owner": f"team:{team.pk}"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.owner_team_id == team.pk and case.owner_user_id is None


def test_assign_refuses_a_stale_version(
    web: Callable[..., Client], agent: Any, manager: Any, make_case: Any
) -> None:
    case = make_case()
    response = web(agent).post(
        f"/cases/{case.pk}/assign/", {"version": 42, "owner": f"user:{manager.pk}"}
    )
    assert response.status_code == 412
    assert response.context["open_dialog"] == "assign"


def test_add_to_queue_puts_the_case_in_the_queue(
    web: Callable[..., Client], agent: Any, make_case: Any, queue: Any
) -> None:
    case = make_case()
    response = web(agent).post(
        f"/cases/{case.pk}/queue/", {"version": case.version, "queue": str(queue.pk)}, follow=True
    )
    assert "added to the queue Tier 2" in response.content.decode()
    from casedesk.routing.models import QueueItem

    assert QueueItem.objects.get(case=case, state="open").queue_id == queue.pk


def test_save_and_route_says_why_nothing_happened_without_an_active_rule_set(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    from tests.web.test_case_pages import _form

    case = make_case()
    response = web(agent).post(
        f"/cases/{case.pk}/route/", _form(case, priority="high"), follow=True
    )
    assert "No routing rule set is active" in response.content.decode()
    case.refresh_from_db()
    assert case.priority == "high"


def test_save_and_route_tells_where_the_case_went(
    web: Callable[..., Client], agent: Any, manager: Any, make_case: Any, queue: Any
) -> None:
    from casedesk.routing.services import rule_sets
    from casedesk.routing.services.rule_sets import RuleItemSpec
    from tests.web.test_case_pages import _form

    rule_set = rule_sets.rule_set_create(
        actor=manager,
        name="Default routing",
        items=[
            RuleItemSpec(
                name="Urgent",
                conditions=[{"field": "priority", "op": "eq", "value": "high"}],
                queue_id=queue.pk,
            )
        ],
    )
    rule_sets.rule_set_activate(actor=manager, rule_set_id=rule_set.pk)
    case = make_case()
    response = web(agent).post(
        f"/cases/{case.pk}/route/", _form(case, priority="high"), follow=True
    )
    assert "routed to the queue Tier 2 by the rule Urgent of Default routing" in (
        response.content.decode()
    )


def test_quick_add_then_complete_an_activity_counts_its_time(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    client = web(agent)
    response = client.post(
        f"/cases/{case.pk}/activities/",
        {"type": "phone_call", "subject": "Called the customer", "direction": "outgoing"},
    )
    assert response.status_code == 302
    activity = Activity.objects.get(case=case, subject="Called the customer")
    done = client.post(
        f"/activities/{activity.pk}/complete/",
        {"version": activity.version, "duration_minutes": "25"},
    )
    assert done.status_code == 302
    activity.refresh_from_db()
    case.refresh_from_db()
    assert activity.state == "completed" and case.total_minutes == 25


def test_quick_add_rerenders_with_errors_when_the_subject_is_missing(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    response = web(agent).post(f"/cases/{case.pk}/activities/", {"type": "task", "subject": ""})
    assert response.status_code == 422
    assert "subject" in response.context["dialogs"]["activity"].errors


def test_cancelling_a_closed_activity_is_refused_with_409(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    call = _activity(agent, case)
    client = web(agent)
    client.post(f"/activities/{call.pk}/cancel/", {"version": call.version})
    call.refresh_from_db()
    response = client.post(f"/activities/{call.pk}/cancel/", {"version": call.version})
    assert response.status_code == 409


def test_another_agent_may_not_add_activities_to_my_case(
    web: Callable[..., Client], agent: Any, make_user: Callable[..., Any], make_case: Any
) -> None:
    case = make_case()
    response = web(make_user("agent")).post(
        f"/cases/{case.pk}/activities/", {"type": "task", "subject": "Sneaky"}
    )
    assert response.status_code == 403
    assert not Activity.objects.filter(subject="Sneaky").exists()


def test_notes_and_posts_appear_on_the_timeline(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    client = web(agent)
    client.post(f"/cases/{case.pk}/notes/", {"text": "Customer prefers e-mail."})
    client.post(f"/cases/{case.pk}/posts/", {"text": "Waiting for the technician."})
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Customer prefers e-mail." in page and "Waiting for the technician." in page
    empty = client.post(f"/cases/{case.pk}/notes/", {"text": " "})
    assert empty.status_code == 422


def test_similar_cases_connect_and_mark_the_solution(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    from casedesk.cases.services import lifecycle

    old = make_case(title="Printer offline after update")
    lifecycle.case_resolve(actor=agent, case_id=old.pk, resolution="Reinstalled the driver.")
    case = make_case(title="Printer offline again")
    client = web(agent)
    page = client.get(
        f"/cases/{case.pk}/similar/", {"search": "1", "q": "printer", "state": "resolved"}
    )
    assert page.status_code == 200
    assert "Printer offline after update" in page.content.decode()
    response = client.post(
        f"/cases/{case.pk}/connections/", {"other": str(old.pk), "solution_found": "on"}
    )
    assert response.status_code == 302
    detail = client.get(f"/cases/{case.pk}/").content.decode()
    assert "Solution found" in detail and "Printer offline after update" in detail


def test_connecting_a_case_to_itself_is_refused_without_a_server_error(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    response = web(agent).post(f"/cases/{case.pk}/connections/", {"other": str(case.pk)})
    assert response.status_code == 422


def test_create_child_case_prefills_from_the_parent_and_links_it(
    web: Callable[..., Client], agent: Any, account: Any, make_case: Any
) -> None:
    parent = make_case(title="Outage in Verona", priority="high")
    client = web(agent)
    form = client.get(f"/cases/new/?parent={parent.pk}").context["form"]
    assert form.initial["title"] == "Outage in Verona" and form.initial["priority"] == "high"
    client.post(
        "/cases/new/",
        {
            "title": "Outage: building B",
            "customer": f"account:{account.pk}",
            "origin": "phone",
            "priority": "high",
            "parent": str(parent.pk),
        },
    )
    child = Case.objects.get(title="Outage: building B")
    assert child.parent_id == parent.pk
    assert "Outage: building B" in client.get(f"/cases/{parent.pk}/").content.decode()


def test_history_lists_each_change_with_its_channel(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    from tests.web.test_case_pages import _form

    case = make_case()
    client = web(agent)
    client.post(f"/cases/{case.pk}/", _form(case, title="Renamed"))
    page = client.get(f"/cases/{case.pk}/history/").content.decode()
    assert "Renamed" in page and "Web UI" in page


def test_do_not_decrement_switches_the_case_flag(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    web(agent).post(f"/cases/{case.pk}/decrement/", {"version": case.version, "decrement": "0"})
    case.refresh_from_db()
    assert case.decrement_entitlement_terms is False


def test_bulk_assign_changes_each_selected_case_and_reports_refusals(
    web: Callable[..., Client],
    agent: Any,
    manager: Any,
    make_user: Callable[..., Any],
    make_case: Any,
) -> None:
    mine = make_case(title="Mine")
    theirs = make_case(owner=make_user("agent"), title="Theirs")
    response = web(agent).post(
        "/cases/bulk/",
        {
            "case_ids": [str(mine.pk), str(theirs.pk)],
            "action": "assign",
            "owner": f"user:{manager.pk}",
            "next": "/cases/?view=active",
        },
        follow=True,
    )
    body = response.content.decode()
    assert "1 case done." in body and "not allowed" in body
    # Each case by its ticket number, never its id.
    assert f"{mine.ticket_number}: assigned to {manager.display_name}." in body
    messages = body[
        body.index('class="messages"') : body.index("</ul>", body.index('class="messages"'))
    ]
    assert f"{theirs.ticket_number}: " in messages and str(theirs.pk) not in messages
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.owner_user_id == manager.pk and theirs.owner_user_id != manager.pk


def test_bulk_route_and_queue_use_the_routing_services(
    web: Callable[..., Client], agent: Any, make_case: Any, queue: Any
) -> None:
    case = make_case()
    client = web(agent)
    client.post(
        "/cases/bulk/", {"case_ids": [str(case.pk)], "action": "queue", "queue": str(queue.pk)}
    )
    listed = client.get(f"/cases/?view=active&queue={queue.pk}").content.decode()
    assert case.title in listed
    routed = client.post(
        "/cases/bulk/", {"case_ids": [str(case.pk)], "action": "route"}, follow=True
    )
    body = routed.content.decode()
    assert "1 case done." in body
    assert f"{case.ticket_number}: not routed, no routing rule set is active." in body


def test_bulk_route_names_the_queue_and_the_rule_of_each_case(
    web: Callable[..., Client], agent: Any, manager: Any, make_case: Any, queue: Any
) -> None:
    from casedesk.routing.services import rule_sets

    rule_set = rule_sets.rule_set_create(
        actor=manager,
        name="Standard",
        items=[
            rule_sets.RuleItemSpec(
                name="Urgent",
                conditions=[{"field": "priority", "op": "eq", "value": "high"}],
                queue_id=queue.pk,
            )
        ],
    )
    rule_sets.rule_set_activate(actor=manager, rule_set_id=rule_set.pk)
    urgent = make_case(priority="high")
    calm = make_case(priority="low")
    body = (
        web(agent)
        .post(
            "/cases/bulk/",
            {"case_ids": [str(urgent.pk), str(calm.pk)], "action": "route"},
            follow=True,
        )
        .content.decode()
    )
    assert (
        f"{urgent.ticket_number}: routed to the queue &ldquo;{queue.name}&rdquo; by the rule "
        "&ldquo;Urgent&rdquo;."
        in body
        or f"{urgent.ticket_number}: routed to the queue “{queue.name}” by the rule “Urgent”."
        in body
    )
    assert f"{calm.ticket_number}: not routed, no rule of “Standard” matched." in body


def test_bulk_needs_a_selection(web: Callable[..., Client], agent: Any) -> None:
    response = web(agent).post("/cases/bulk/", {"action": "route"}, follow=True)
    assert "Select at least one case." in response.content.decode()


def test_new_case_save_and_route_routes_it_in_the_same_request(
    web: Callable[..., Client], agent: Any, manager: Any, account: Any, queue: Any
) -> None:
    from casedesk.routing.models import QueueItem
    from casedesk.routing.services import rule_sets
    from casedesk.routing.services.rule_sets import RuleItemSpec

    rule_set = rule_sets.rule_set_create(
        actor=manager,
        name="All to Tier 2",
        items=[RuleItemSpec(name="Everything", conditions=[], queue_id=queue.pk)],
    )
    rule_sets.rule_set_activate(actor=manager, rule_set_id=rule_set.pk)
    response = web(agent).post(
        "/cases/new/",
        {
            "title": "Routed at birth",
            "customer": f"account:{account.pk}",
            "origin": "web",
            "priority": "normal",
            "route": "1",
        },
        follow=True,
    )
    assert "It was routed by the active routing rule set." in response.content.decode()
    case = Case.objects.get(title="Routed at birth")
    assert QueueItem.objects.get(case=case, state="open").queue_id == queue.pk


def test_quick_add_an_appointment_with_its_schedule(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    case = make_case()
    response = web(agent).post(
        f"/cases/{case.pk}/activities/",
        {
            "type": "appointment",
            "subject": "On-site visit",
            "scheduled_start": "2026-12-01T09:00",
            "scheduled_end": "2026-12-01T10:30",
        },
    )
    assert response.status_code == 302
    visit = Activity.objects.get(subject="On-site visit")
    assert visit.scheduled_start is not None and visit.scheduled_end is not None
    assert (visit.scheduled_end - visit.scheduled_start).seconds == 5400


def test_history_names_what_ids_refer_to_and_labels_every_action(
    web: Callable[..., Client], agent: Any, manager: Any, make_case: Any
) -> None:
    from casedesk.cases.choices import CaseAction
    from casedesk.cases.fields import CaseChanges
    from casedesk.cases.services.records import case_update
    from casedesk.catalog import services as catalog
    from casedesk.web.templatetags.casedesk_web import ACTIONS

    subject = catalog.subject_create(actor=manager, name="Fibra ottica")
    parent = make_case(title="Parent")
    case = make_case()
    case_update(
        actor=agent,
        case_id=case.pk,
        changes=CaseChanges(subject_id=subject.pk, parent_id=parent.pk),
    )
    page = web(agent, language="it").get(f"/cases/{case.pk}/history/").content.decode()
    assert "Fibra ottica" in page and parent.ticket_number in page
    assert str(subject.pk) not in page and str(parent.pk) not in page
    assert set(ACTIONS) >= {str(a) for a in CaseAction}


def test_history_names_the_customer_and_the_owner_not_their_ids(
    web: Callable[..., Client], agent: Any, manager: Any, make_case: Any, account: Any
) -> None:
    from casedesk.cases.services import assignment
    from casedesk.cases.services.common import Ref
    from casedesk.directory import services as directory
    from casedesk.directory.access import SYSTEM

    team = directory.team_create(actor=SYSTEM, name="Secondo livello")
    case = make_case()
    assignment.case_assign(actor=manager, case_id=case.pk, owner=Ref("team", team.pk))
    page = web(agent).get(f"/cases/{case.pk}/history/").content.decode()
    for record in (account, agent, team):
        assert str(record.pk) not in page
    assert account.name in page and agent.display_name in page and "Secondo livello" in page
    assert "<dt>Description</dt>" not in page  # created empty: nothing to show
