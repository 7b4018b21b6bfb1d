"""Small steps the lifecycle tests share, through the HTTP API."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api


def add_activity(api: Api, case_id: str, **fields: Any) -> dict[str, Any]:
    body = {"type": "phone_call", "subject": "Call the customer"}
    body.update(fields)
    response = api.post(f"/api/v1/cases/{case_id}/activities", body)
    assert response.status_code == 201, response.content
    return response.json()


def complete(api: Api, activity_id: str, minutes: int | None = None) -> dict[str, Any]:
    body = {} if minutes is None else {"duration_minutes": minutes}
    response = api.post(f"/api/v1/activities/{activity_id}/complete", body)
    assert response.status_code == 200, response.content
    return response.json()


def worked(api: Api, case_id: str, *minutes: int) -> list[dict[str, Any]]:
    """Completed activities of the given durations on the case."""
    return [complete(api, add_activity(api, case_id)["id"], m) for m in minutes]


def resolve(api: Api, case_id: str, **fields: Any) -> Any:
    body: dict[str, Any] = {"resolution": "Replaced the router."}
    body.update(fields)
    return api.post(f"/api/v1/cases/{case_id}/resolve", body)


def configure(api: Api, **settings: Any) -> dict[str, Any]:
    response = api.patch("/api/v1/config/service", settings)
    assert response.status_code == 200, response.content
    return response.json()


def get_case(api: Api, case_id: str) -> dict[str, Any]:
    response = api.get(f"/api/v1/cases/{case_id}")
    assert response.status_code == 200
    return response.json()


def audit_actions(api: Api, case_id: str) -> list[tuple[str, str]]:
    items = api.get(f"/api/v1/cases/{case_id}/audit", limit=200).json()["items"]
    return [(e["action"], e["channel"]) for e in items]
