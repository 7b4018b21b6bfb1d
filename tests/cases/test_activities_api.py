"""Activities, notes, posts and the timeline through the API (docs/cases.md, docs/security.md)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casedesk.cases.models import Activity
from casedesk.core.models import AuditEntry
from tests.cases.support import add_activity, complete, get_case, resolve, worked
from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db
ZERO = "00000000-0000-0000-0000-000000000000"


def test_create_answers_an_open_activity_owned_by_the_caller(
    agent_api: Api, agent: Any, new_case: Any
) -> None:
    case = new_case()
    response = agent_api.post(
        f"/api/v1/cases/{case['id']}/activities",
        {
            "type": "email",
            "subject": "Ask for the modem's serial",
            "description": "Sent from the case",
            "direction": "outgoing",
            "due": "2026-03-01T10:00:00Z",
            "duration_minutes": 5,
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["case_id"] == case["id"] and body["type"] == "email"
    assert body["state"] == "open" and body["billed"] is False and body["closed_at"] is None
    assert body["owner"] == {"id": str(agent.id), "name": "Anna Agente"}
    assert body["direction"] == "outgoing" and body["due"].startswith("2026-03-01T10:00:00")
    assert response["ETag"] == '"1"'
    entry = AuditEntry.objects.get(entity_type="activity", entity_id=body["id"])
    assert entry.action == "create" and entry.changes["subject"] == [None, body["subject"]]
    # Adding an activity is not an edit of the case.
    assert get_case(agent_api, case["id"])["version"] == case["version"]


def test_naive_times_are_taken_as_utc(agent_api: Api, new_case: Any) -> None:
    case = new_case()
    body = add_activity(
        agent_api, case["id"], type="appointment", scheduled_start="2026-03-01T09:00:00"
    )
    assert body["scheduled_start"] == "2026-03-01T09:00:00+00:00"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "case_resolution"}, "type"),
        ({"type": "fax"}, "type"),
        ({"subject": ""}, "subject"),
        ({"subject": "   "}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"subject": "a\x00b"}, "subject"),
        ({"description": "x" * 100_001}, "description"),
        ({"type": "task", "direction": "incoming"}, "direction"),
        ({"direction": "sideways"}, "direction"),
        ({"duration_minutes": -1}, "duration_minutes"),
        ({"duration_minutes": 2**31}, "duration_minutes"),
        ({"due": "tomorrow"}, "due"),
        ({"due": "0001-01-01T00:00:00+05:00"}, "due"),
        ({"scheduled_end": "9999-12-31T23:00:00-05:00"}, "scheduled_end"),
        (
            {"scheduled_start": "2026-03-02T10:00:00Z", "scheduled_end": "2026-03-01T10:00:00Z"},
            "scheduled_end",
        ),
        ({"state": "completed"}, "state"),
        ({"billed": True}, "billed"),
    ],
)
def test_create_refuses_invalid_values_with_422(
    agent_api: Api, new_case: Any, body: dict[str, Any], field: str
) -> None:
    case = new_case()
    payload = {"type": "phone_call", "subject": "Call"}
    payload.update(body)
    response = agent_api.post(f"/api/v1/cases/{case['id']}/activities", payload)
    error = assert_error(response, 422, "validation_error")
    assert field in error["details"]["fields"], error
    assert not Activity.objects.filter(case_id=case["id"]).exists()


def test_create_needs_type_and_subject(agent_api: Api, new_case: Any) -> None:
    case = new_case()
    error = assert_error(
        agent_api.post(f"/api/v1/cases/{case['id']}/activities", {}), 422, "validation_error"
    )
    assert {"type", "subject"} <= set(error["details"]["fields"])


def test_activities_need_authentication(anon_api: Api, agent_api: Api, new_case: Any) -> None:
    case = new_case()
    activity = add_activity(agent_api, case["id"])
    assert_error(anon_api.get(f"/api/v1/cases/{case['id']}/activities"), 401, "unauthenticated")
    assert_error(
        anon_api.post(f"/api/v1/cases/{case['id']}/activities", {}), 401, "unauthenticated"
    )
    assert_error(anon_api.get(f"/api/v1/activities/{activity['id']}"), 401, "unauthenticated")
    assert_error(
        anon_api.post(f"/api/v1/activities/{activity['id']}/complete"), 401, "unauthenticated"
    )
    assert_error(anon_api.get(f"/api/v1/cases/{case['id']}/timeline"), 401, "unauthenticated")


def test_unknown_case_or_activity_is_404(agent_api: Api) -> None:
    assert_error(agent_api.get(f"/api/v1/cases/{ZERO}/activities"), 404, "not_found")
    assert_error(
        agent_api.post(f"/api/v1/cases/{ZERO}/activities", {"type": "task", "subject": "x"}),
        404,
        "not_found",
    )
    assert_error(agent_api.get(f"/api/v1/activities/{ZERO}"), 404, "not_found")
    assert_error(agent_api.get("/api/v1/activities/nope"), 404, "not_found")
    assert_error(agent_api.patch(f"/api/v1/activities/{ZERO}", {"subject": "x"}), 404, "not_found")
    assert_error(agent_api.post(f"/api/v1/activities/{ZERO}/complete"), 404, "not_found")
    assert_error(agent_api.post(f"/api/v1/activities/{ZERO}/cancel"), 404, "not_found")
    for kind in ("notes", "posts", "timeline"):
        assert_error(agent_api.get(f"/api/v1/cases/{ZERO}/{kind}"), 404, "not_found")


def test_agent_adds_only_to_cases_they_may_change(
    new_case: Any, make_user: Any, make_api: Any, manager_api: Api
) -> None:
    case = new_case()
    stranger = make_api(make_user())
    body = {"type": "task", "subject": "Look"}
    assert_error(stranger.post(f"/api/v1/cases/{case['id']}/activities", body), 403, "forbidden")
    assert_error(
        stranger.post(f"/api/v1/cases/{case['id']}/notes", {"text": "x"}), 403, "forbidden"
    )
    assert_error(
        stranger.post(f"/api/v1/cases/{case['id']}/posts", {"text": "x"}), 403, "forbidden"
    )
    # ... but reads everything.
    assert stranger.get(f"/api/v1/cases/{case['id']}/timeline").status_code == 200
    assert manager_api.post(f"/api/v1/cases/{case['id']}/activities", body).status_code == 201


def test_owner_of_an_activity_completes_it_on_a_case_they_may_not_change(
    agent_api: Api, new_case: Any, make_user: Any, make_api: Any, manager_api: Api
) -> None:
    case = new_case()
    helper_user = make_user()
    helper = make_api(helper_user)
    # A manager adds an activity, then hands it to someone who cannot change the case.
    activity = add_activity(manager_api, case["id"])
    Activity.objects.filter(id=activity["id"]).update(owner=helper_user)
    assert complete(helper, activity["id"], 10)["state"] == "completed"
    other = add_activity(agent_api, case["id"])
    assert_error(helper.post(f"/api/v1/activities/{other['id']}/complete"), 403, "forbidden")
    assert_error(helper.post(f"/api/v1/activities/{other['id']}/cancel"), 403, "forbidden")
    assert_error(
        helper.patch(f"/api/v1/activities/{other['id']}", {"subject": "x"}), 403, "forbidden"
    )


def test_complete_records_the_actual_duration_and_grows_the_total_time(
    agent_api: Api, new_case: Any
) -> None:
    case = new_case()
    first = add_activity(agent_api, case["id"], duration_minutes=15)
    second = add_activity(agent_api, case["id"])
    done = complete(agent_api, first["id"])
    assert done["state"] == "completed" and done["duration_minutes"] == 15
    assert done["closed_at"] is not None and done["version"] == 2
    assert complete(agent_api, second["id"], 30)["duration_minutes"] == 30
    after = get_case(agent_api, case["id"])
    assert after["total_minutes"] == 45 and after["billable_minutes"] == 0
    assert after["version"] == case["version"] + 2
    audit = agent_api.get(f"/api/v1/cases/{case['id']}/audit").json()["items"]
    assert audit[-1]["action"] == "activity_complete"
    assert audit[-1]["changes"] == {"total_minutes": [15, 45]}


def test_complete_and_cancel_accept_an_empty_body(agent_api: Api, new_case: Any) -> None:
    case = new_case()
    one, two = add_activity(agent_api, case["id"]), add_activity(agent_api, case["id"])
    done = agent_api.post(f"/api/v1/activities/{one['id']}/complete", raw="")
    assert done.status_code == 200 and done.json()["duration_minutes"] is None
    gone = agent_api.post(f"/api/v1/activities/{two['id']}/cancel", raw="")
    assert gone.status_code == 200 and gone.json()["state"] == "cancelled"


def test_complete_refuses_a_negative_duration(agent_api: Api, new_case: Any) -> None:
    activity = add_activity(agent_api, new_case()["id"])
    response = agent_api.post(
        f"/api/v1/activities/{activity['id']}/complete", {"duration_minutes": -5}
    )
    assert (
        "duration_minutes" in assert_error(response, 422, "validation_error")["details"]["fields"]
    )
    assert agent_api.get(f"/api/v1/activities/{activity['id']}").json()["state"] == "open"


def test_cancel_closes_without_time(agent_api: Api, new_case: Any) -> None:
    case = new_case()
    activity = add_activity(agent_api, case["id"], duration_minutes=20)
    body = agent_api.post(f"/api/v1/activities/{activity['id']}/cancel").json()
    assert body["state"] == "cancelled" and body["closed_at"] is not None
    assert get_case(agent_api, case["id"])["total_minutes"] == 0


def test_closed_activities_are_read_only(agent_api: Api, new_case: Any) -> None:
    case = new_case()
    done = complete(agent_api, add_activity(agent_api, case["id"])["id"], 5)
    cancelled = add_activity(agent_api, case["id"])
    agent_api.post(f"/api/v1/activities/{cancelled['id']}/cancel")
    for activity_id in (done["id"], cancelled["id"]):
        for response in (
            agent_api.patch(f"/api/v1/activities/{activity_id}", {"subject": "x"}),
            agent_api.post(f"/api/v1/activities/{activity_id}/complete", {"duration_minutes": 1}),
            agent_api.post(f"/api/v1/activities/{activity_id}/cancel"),
        ):
            assert_error(response, 409, "activity_closed")
    assert get_case(agent_api, case["id"])["total_minutes"] == 5


def test_patch_changes_an_open_activity_with_if_match(agent_api: Api, new_case: Any) -> None:
    activity = add_activity(agent_api, new_case()["id"], description="old")
    response = agent_api.patch(
        f"/api/v1/activities/{activity['id']}",
        {"subject": "Call back", "duration_minutes": 12, "direction": None},
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 200 and response["ETag"] == '"2"'
    body = response.json()
    assert (body["subject"], body["duration_minutes"], body["description"]) == (
        "Call back",
        12,
        "old",
    )
    stale = agent_api.patch(
        f"/api/v1/activities/{activity['id']}", {"subject": "x"}, headers={"If-Match": '"1"'}
    )
    assert_error(stale, 412, "version_mismatch")
    assert_error(
        agent_api.post(
            f"/api/v1/activities/{activity['id']}/complete", headers={"If-Match": '"1"'}
        ),
        412,
        "version_mismatch",
    )
    entries = AuditEntry.objects.filter(entity_type="activity", entity_id=activity["id"])
    assert [e.action for e in entries.order_by("id")] == ["create", "update"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"subject": None}, "subject"),
        ({"state": "completed"}, "state"),
        ({"type": "task"}, "type"),
        ({"case_id": ZERO}, "case_id"),
        ({"duration_minutes": -1}, "duration_minutes"),
    ],
)
def test_patch_refuses_invalid_and_read_only_fields(
    agent_api: Api, new_case: Any, body: dict[str, Any], field: str
) -> None:
    activity = add_activity(agent_api, new_case()["id"])
    error = assert_error(
        agent_api.patch(f"/api/v1/activities/{activity['id']}", body), 422, "validation_error"
    )
    assert field in error["details"]["fields"]


def test_follow_ups_may_be_added_to_a_resolved_case(agent_api: Api, new_case: Any) -> None:
    case = new_case()
    worked(agent_api, case["id"], 10)
    resolved = resolve(agent_api, case["id"]).json()
    follow_up = add_activity(agent_api, case["id"], type="task")
    complete(agent_api, follow_up["id"], 25)
    assert agent_api.post(f"/api/v1/cases/{case['id']}/notes", {"text": "ok"}).status_code == 201
    assert agent_api.post(f"/api/v1/cases/{case['id']}/posts", {"text": "ok"}).status_code == 201
    after = get_case(agent_api, case["id"])
    # Not an edit of the case: the resolution's totals stay as they were.
    assert after["version"] == resolved["version"]
    assert (after["total_minutes"], after["billable_minutes"]) == (10, 10)


def test_nothing_may_be_added_to_a_cancelled_case(agent_api: Api, new_case: Any) -> None:
    case = new_case()
    agent_api.post(f"/api/v1/cases/{case['id']}/cancel")
    for kind, body in (
        ("activities", {"type": "task", "subject": "x"}),
        ("notes", {"text": "x"}),
        ("posts", {"text": "x"}),
    ):
        assert_error(
            agent_api.post(f"/api/v1/cases/{case['id']}/{kind}", body), 409, "case_not_active"
        )


def test_activity_list_is_newest_first_and_filters(agent_api: Api, new_case: Any) -> None:
    case = new_case()
    first = add_activity(agent_api, case["id"], type="task")
    second = add_activity(agent_api, case["id"])
    complete(agent_api, first["id"], 3)
    items = agent_api.get(f"/api/v1/cases/{case['id']}/activities").json()["items"]
    assert [a["id"] for a in items] == [second["id"], first["id"]]
    done = agent_api.get(f"/api/v1/cases/{case['id']}/activities", state="completed").json()
    assert [a["id"] for a in done["items"]] == [first["id"]]
    calls = agent_api.get(f"/api/v1/cases/{case['id']}/activities", type="phone_call").json()
    assert [a["id"] for a in calls["items"]] == [second["id"]]
    assert_error(
        agent_api.get(f"/api/v1/cases/{case['id']}/activities", state="done"), 400, "bad_request"
    )


def test_notes_and_posts_carry_their_author(agent_api: Api, agent: Any, new_case: Any) -> None:
    case = new_case()
    note = agent_api.post(f"/api/v1/cases/{case['id']}/notes", {"text": "Customer is VIP"})
    assert note.status_code == 201
    assert note.json()["author"] == {"id": str(agent.id), "name": "Anna Agente"}
    post = agent_api.post(f"/api/v1/cases/{case['id']}/posts", {"text": "On it"}).json()
    assert post["author"]["id"] == str(agent.id) and post["event"] is None
    notes = agent_api.get(f"/api/v1/cases/{case['id']}/notes").json()["items"]
    assert [n["text"] for n in notes] == ["Customer is VIP"]
    posts = agent_api.get(f"/api/v1/cases/{case['id']}/posts").json()["items"]
    assert [(p["text"], p["author"] is None) for p in posts] == [
        ("On it", False),
        (posts[1]["text"], True),
    ]
    assert posts[1]["event"] == "created"


@pytest.mark.parametrize("text", ["", "   ", "a\x00", None, 5])
def test_notes_and_posts_need_text(agent_api: Api, new_case: Any, text: Any) -> None:
    case = new_case()
    for kind in ("notes", "posts"):
        error = assert_error(
            agent_api.post(f"/api/v1/cases/{case['id']}/{kind}", {"text": text}),
            422,
            "validation_error",
        )
        assert "text" in error["details"]["fields"]


def test_timeline_holds_activities_notes_and_posts_newest_first(
    agent_api: Api, new_case: Any
) -> None:
    case = new_case()
    activity = add_activity(agent_api, case["id"])
    note = agent_api.post(f"/api/v1/cases/{case['id']}/notes", {"text": "n"}).json()
    post = agent_api.post(f"/api/v1/cases/{case['id']}/posts", {"text": "p"}).json()
    items = agent_api.get(f"/api/v1/cases/{case['id']}/timeline").json()["items"]
    assert [(i["kind"], i["id"]) for i in items[:3]] == [
        ("post", post["id"]),
        ("note", note["id"]),
        ("activity", activity["id"]),
    ]
    assert items[3]["kind"] == "post" and items[3]["author"] is None  # "created"
    assert items[2]["subject"] == activity["subject"] and items[2]["at"] == activity["created_at"]
    assert items[1]["text"] == "n"


def test_timeline_pages_with_a_constant_number_of_queries(agent_api: Api, new_case: Any) -> None:
    case = new_case()
    for i in range(4):
        add_activity(agent_api, case["id"], subject=f"a{i}")
        agent_api.post(f"/api/v1/cases/{case['id']}/notes", {"text": f"n{i}"})
        agent_api.post(f"/api/v1/cases/{case['id']}/posts", {"text": f"p{i}"})
    everything = agent_api.get(f"/api/v1/cases/{case['id']}/timeline", limit=200).json()
    assert len(everything["items"]) == 13 and everything["next"] is None
    seen: list[str] = []
    counts: list[int] = []
    cursor = None
    while True:
        query: dict[str, Any] = {"limit": 4}
        if cursor:
            query["cursor"] = cursor
        with CaptureQueriesContext(connection) as ctx:
            body = agent_api.get(f"/api/v1/cases/{case['id']}/timeline", **query).json()
        counts.append(len(ctx.captured_queries))
        seen.extend(i["id"] for i in body["items"])
        cursor = body["next"]
        if not cursor:
            break
    assert seen == [i["id"] for i in everything["items"]]
    assert len(set(counts)) == 1, counts
    assert_error(
        agent_api.get(f"/api/v1/cases/{case['id']}/timeline", cursor="forged"), 400, "bad_request"
    )
