"""`/config/service` and `/config/status-transitions` and where transitions apply
(docs/cases.md)."""

from __future__ import annotations

from typing import Any

import pytest

from casedesk.core.models import AuditEntry
from tests.cases.support import configure, get_case, resolve
from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db

DEFAULTS = {
    "parent_close_policy": "independent",
    "max_child_cases": 100,
    "allow_closed_updates": False,
    "apply_default_entitlement_on_create": True,
    "apply_default_entitlement_on_update": True,
}
# Every active status may go anywhere; closed statuses only back to in_progress.
OPEN_MAP = {
    "in_progress": ["on_hold", "waiting_for_details", "researching", "problem_solved",
                    "information_provided", "cancelled", "merged"],
    "on_hold": ["in_progress"],
    "waiting_for_details": ["in_progress"],
    "researching": ["in_progress"],
    "problem_solved": ["in_progress"],
    "cancelled": ["in_progress"],
}  # fmt: skip


def _transitions(api: Api, enforced: bool, allowed: dict[str, list[str]]) -> Any:
    return api.put("/api/v1/config/status-transitions", {"enforced": enforced, "allowed": allowed})


# --- /config/service -----------------------------------------------------------------------


def test_every_user_reads_the_service_settings(agent_api: Api) -> None:
    response = agent_api.get("/api/v1/config/service")
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in DEFAULTS} == DEFAULTS
    assert response["ETag"] == f'"{body["version"]}"'


def test_managers_patch_the_service_settings(manager_api: Api, manager: Any) -> None:
    before = manager_api.get("/api/v1/config/service").json()
    response = manager_api.patch(
        "/api/v1/config/service",
        {
            "parent_close_policy": "cascade",
            "max_child_cases": 3,
            "allow_closed_updates": True,
            "apply_default_entitlement_on_create": False,
            "apply_default_entitlement_on_update": False,
        },
        headers={"If-Match": f'"{before["version"]}"'},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["parent_close_policy"] == "cascade" and body["max_child_cases"] == 3
    assert body["allow_closed_updates"] is True
    assert body["apply_default_entitlement_on_create"] is False
    assert body["version"] == before["version"] + 1 and body["modified_at"]
    # A merge patch: absent fields stay.
    again = manager_api.patch("/api/v1/config/service", {"max_child_cases": 4}).json()
    assert again["parent_close_policy"] == "cascade" and again["max_child_cases"] == 4
    entry = AuditEntry.objects.filter(entity_type="service_settings").latest("id")
    assert entry.actor_id == manager.id and entry.changes == {"max_child_cases": [3, 4]}
    # Nothing changed: nothing written.
    same = manager_api.patch("/api/v1/config/service", {"max_child_cases": 4}).json()
    assert same["version"] == again["version"]


def test_service_settings_refusals(
    agent_api: Api, manager_api: Api, anon_api: Api, admin_api: Api
) -> None:
    assert_error(anon_api.get("/api/v1/config/service"), 401, "unauthenticated")
    assert_error(
        agent_api.patch("/api/v1/config/service", {"max_child_cases": 5}), 403, "forbidden"
    )
    assert_error(
        manager_api.patch(
            "/api/v1/config/service", {"max_child_cases": 5}, headers={"If-Match": '"999"'}
        ),
        412,
        "version_mismatch",
    )
    assert admin_api.patch("/api/v1/config/service", {"max_child_cases": 5}).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"parent_close_policy": "sometimes"}, "parent_close_policy"),
        ({"parent_close_policy": None}, "parent_close_policy"),
        ({"max_child_cases": -1}, "max_child_cases"),
        ({"max_child_cases": 2**31}, "max_child_cases"),
        ({"max_child_cases": None}, "max_child_cases"),
        ({"allow_closed_updates": "maybe"}, "allow_closed_updates"),
        ({"allow_closed_updates": None}, "allow_closed_updates"),
        ({"version": 9}, "version"),
        ({"transitions_enforced": True}, "transitions_enforced"),
    ],
)
def test_service_settings_refuse_invalid_values(
    manager_api: Api, body: dict[str, Any], field: str
) -> None:
    error = assert_error(manager_api.patch("/api/v1/config/service", body), 422, "validation_error")
    assert field in error["details"]["fields"]
    body_after = manager_api.get("/api/v1/config/service").json()
    assert {k: body_after[k] for k in DEFAULTS} == DEFAULTS


def test_allow_closed_updates_lets_managers_correct_a_closed_case(
    manager_api: Api, new_case: Any, agent_api: Api
) -> None:
    case = new_case()
    resolve(agent_api, case["id"])
    patch = {"title": "Corrected title"}
    assert_error(manager_api.patch(f"/api/v1/cases/{case['id']}", patch), 409, "case_not_active")
    configure(manager_api, allow_closed_updates=True)
    assert manager_api.patch(f"/api/v1/cases/{case['id']}", patch).status_code == 200
    assert_error(agent_api.patch(f"/api/v1/cases/{case['id']}", patch), 409, "case_not_active")


# --- /config/status-transitions ------------------------------------------------------------


def test_a_new_installation_answers_an_empty_unenforced_map(agent_api: Api) -> None:
    response = agent_api.get("/api/v1/config/status-transitions")
    assert response.status_code == 200
    assert response.json() == {"enforced": False, "allowed": {}}


def test_put_accepts_what_get_answered(manager_api: Api) -> None:
    answered = manager_api.get("/api/v1/config/status-transitions").json()
    assert manager_api.put("/api/v1/config/status-transitions", answered).status_code == 200
    stored = _transitions(manager_api, True, OPEN_MAP).json()
    assert stored == {"enforced": True, "allowed": OPEN_MAP}
    again = manager_api.get("/api/v1/config/status-transitions").json()
    response = manager_api.put("/api/v1/config/status-transitions", again)
    assert response.status_code == 200 and response.json() == again


def test_an_unenforced_map_is_stored_as_given(manager_api: Api) -> None:
    partial = {"on_hold": ["in_progress", "in_progress"]}
    body = _transitions(manager_api, False, partial).json()
    assert body == {"enforced": False, "allowed": {"on_hold": ["in_progress"]}}


def test_an_enforced_map_must_let_every_active_status_close(manager_api: Api) -> None:
    dead_end = dict(OPEN_MAP)
    dead_end["on_hold"] = ["waiting_for_details"]
    dead_end["waiting_for_details"] = ["on_hold"]
    error = assert_error(_transitions(manager_api, True, dead_end), 422, "validation_error")
    assert set(error["details"]["fields"]) == {"allowed.on_hold", "allowed.waiting_for_details"}
    assert manager_api.get("/api/v1/config/status-transitions").json()["enforced"] is False
    # Through other active statuses is enough.
    chain = dict(OPEN_MAP)
    chain["on_hold"] = ["waiting_for_details"]
    chain["waiting_for_details"] = ["in_progress"]
    assert _transitions(manager_api, True, chain).status_code == 200


@pytest.mark.parametrize(
    ("allowed", "field"),
    [
        ({"paused": ["in_progress"]}, "allowed.paused"),
        ({"in_progress": ["closed"]}, "allowed.in_progress"),
        ({"in_progress": "on_hold"}, "allowed.in_progress"),
        ({"in_progress": [1]}, "allowed.in_progress"),
        ({"in\x00progress": []}, "allowed"),
    ],
)
def test_transitions_refuse_unknown_statuses(
    manager_api: Api, allowed: dict[str, Any], field: str
) -> None:
    error = assert_error(_transitions(manager_api, False, allowed), 422, "validation_error")
    assert any(name.startswith(field) for name in error["details"]["fields"]), error


def test_transitions_refusals(agent_api: Api, manager_api: Api, anon_api: Api) -> None:
    assert_error(anon_api.get("/api/v1/config/status-transitions"), 401, "unauthenticated")
    assert_error(_transitions(agent_api, False, {}), 403, "forbidden")
    assert_error(
        manager_api.put("/api/v1/config/status-transitions", {"allowed": {}}),
        422,
        "validation_error",
    )
    assert_error(
        manager_api.put(
            "/api/v1/config/status-transitions", {"enforced": False, "allowed": {}, "x": 1}
        ),
        422,
        "validation_error",
    )
    assert_error(
        manager_api.put(
            "/api/v1/config/status-transitions",
            {"enforced": False, "allowed": {}},
            headers={"If-Match": '"999"'},
        ),
        412,
        "version_mismatch",
    )


def _enforce(manager_api: Api, **changes: list[str]) -> None:
    allowed = dict(OPEN_MAP)
    allowed.update(changes)
    assert _transitions(manager_api, True, allowed).status_code == 200


def test_enforced_transitions_apply_to_patch(
    agent_api: Api, manager_api: Api, new_case: Any
) -> None:
    case = new_case()
    agent_api.patch(f"/api/v1/cases/{case['id']}", {"status": "on_hold"})
    _enforce(manager_api, on_hold=["in_progress"])
    error = assert_error(
        agent_api.patch(f"/api/v1/cases/{case['id']}", {"status": "researching"}),
        409,
        "transition_not_allowed",
    )
    assert error["details"]["from"] == "on_hold" and error["details"]["to"] == "researching"
    # Keeping the same status is always allowed.
    same = agent_api.patch(f"/api/v1/cases/{case['id']}", {"status": "on_hold", "priority": "low"})
    assert same.status_code == 200


def test_enforced_transitions_apply_to_resolve_cancel_and_merge(
    agent_api: Api, manager_api: Api, new_case: Any
) -> None:
    held = new_case()
    agent_api.patch(f"/api/v1/cases/{held['id']}", {"status": "on_hold"})
    other = new_case()
    _enforce(manager_api, on_hold=["in_progress"])
    error = assert_error(resolve(agent_api, held["id"]), 409, "transition_not_allowed")
    assert error["details"]["to"] == "problem_solved"
    assert_error(
        agent_api.post(f"/api/v1/cases/{held['id']}/cancel"), 409, "transition_not_allowed"
    )
    error = assert_error(
        agent_api.post(f"/api/v1/cases/{held['id']}/merge", {"into": other["id"]}),
        409,
        "transition_not_allowed",
    )
    assert error["details"]["to"] == "merged" and error["details"]["case_id"] == held["id"]
    # The master's status is not checked.
    assert (
        agent_api.post(f"/api/v1/cases/{other['id']}/merge", {"into": held["id"]}).status_code
        == 200
    )
    # The resolution type is the target.
    _enforce(manager_api, in_progress=["problem_solved", "cancelled"])
    case = new_case()
    assert_error(
        resolve(agent_api, case["id"], resolution_type="information_provided"),
        409,
        "transition_not_allowed",
    )
    assert resolve(agent_api, case["id"], resolution_type="problem_solved").status_code == 200


def test_enforced_transitions_apply_to_reactivate(
    agent_api: Api, manager_api: Api, new_case: Any
) -> None:
    solved, informed = new_case(), new_case()
    resolve(agent_api, solved["id"])
    resolve(agent_api, informed["id"], resolution_type="information_provided")
    _enforce(manager_api)  # information_provided has no key: it allows nothing
    assert agent_api.post(f"/api/v1/cases/{solved['id']}/reactivate").status_code == 200
    error = assert_error(
        agent_api.post(f"/api/v1/cases/{informed['id']}/reactivate"),
        409,
        "transition_not_allowed",
    )
    assert error["details"] == {"from": "information_provided", "to": "in_progress",
                                "case_id": informed["id"]}  # fmt: skip
    assert get_case(agent_api, informed["id"])["state"] == "resolved"


def test_creation_is_exempt_from_transitions(
    agent_api: Api, manager_api: Api, new_case: Any
) -> None:
    _enforce(manager_api, in_progress=["cancelled"])
    assert new_case(status="researching")["status"] == "researching"


def test_transitions_take_effect_on_the_next_request(
    agent_api: Api, manager_api: Api, new_case: Any
) -> None:
    case = new_case()
    _enforce(manager_api, in_progress=["cancelled"])
    assert_error(resolve(agent_api, case["id"]), 409, "transition_not_allowed")
    _transitions(manager_api, False, {})
    assert resolve(agent_api, case["id"]).status_code == 200
