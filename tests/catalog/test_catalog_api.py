from __future__ import annotations

import uuid

import pytest

from casedesk.catalog.selectors import subject_descendant_ids
from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db


def test_manager_builds_a_subject_tree(manager_api: Api) -> None:
    root = manager_api.post("/api/v1/subjects", {"name": "Interruzioni di servizio"}).json()
    child = manager_api.post("/api/v1/subjects", {"name": "Fibra", "parent_id": root["id"]})
    assert child.status_code == 201 and child.json()["parent_id"] == root["id"]
    grandchild = manager_api.post(
        "/api/v1/subjects", {"name": "FTTH", "parent_id": child.json()["id"]}
    ).json()
    ids = {str(i) for i in subject_descendant_ids(uuid.UUID(root["id"]))}
    assert ids == {root["id"], child.json()["id"], grandchild["id"]}
    listed = manager_api.get("/api/v1/subjects").json()["items"]
    assert [s["name"] for s in listed] == ["FTTH", "Fibra", "Interruzioni di servizio"]


def test_unknown_parent_subject_is_422(manager_api: Api) -> None:
    response = manager_api.post(
        "/api/v1/subjects", {"name": "X", "parent_id": "00000000-0000-0000-0000-000000000000"}
    )
    error = assert_error(response, 422, "validation_error")
    assert "parent_id" in error["details"]["fields"]


def test_agents_read_but_do_not_create_subjects_or_products(agent_api: Api) -> None:
    assert_error(agent_api.post("/api/v1/subjects", {"name": "X"}), 403, "forbidden")
    assert_error(agent_api.post("/api/v1/products", {"name": "X"}), 403, "forbidden")
    assert agent_api.get("/api/v1/subjects").status_code == 200
    assert agent_api.get("/api/v1/products").status_code == 200


def test_manager_creates_products(manager_api: Api) -> None:
    response = manager_api.post("/api/v1/products", {"name": "Router X1", "code": "RX1"})
    assert response.status_code == 201
    assert manager_api.get("/api/v1/products").json()["items"][0]["code"] == "RX1"
