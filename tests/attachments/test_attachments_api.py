"""Attachments through the API (docs/email.md#attachments): upload, read, download, the
size limit, the case's files, merge and `casedesk check`."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from casedesk.attachments.models import Attachment
from casedesk.core.invariants import run_all
from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db


def upload(api: Api, data: bytes, name: str = "log.txt", **fields: Any) -> Any:
    body: dict[str, Any] = {"file": SimpleUploadedFile(name, data, content_type="text/plain")}
    body.update({k: str(v) for k, v in fields.items()})
    return api.client.post("/api/v1/attachments", body, headers=api._headers(None))


@pytest.fixture
def case(agent_api: Api) -> dict[str, Any]:
    account = agent_api.post("/api/v1/accounts", {"name": "Acme"}).json()
    body = {"title": "Router", "customer": {"type": "account", "id": account["id"]}}
    return agent_api.post("/api/v1/cases", body).json()


def test_an_upload_on_a_case_answers_its_record(agent_api: Api, case: dict[str, Any]) -> None:
    response = upload(agent_api, b"link down\n", case_id=case["id"])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["filename"] == "log.txt" and body["size"] == 10
    assert body["sha256"] == hashlib.sha256(b"link down\n").hexdigest()
    assert body["case_id"] == case["id"] and body["content_type"] == "text/plain"
    assert agent_api.get(f"/api/v1/attachments/{body['id']}").json() == body


def test_the_content_is_a_download_never_sniffed(
    agent_api: Api, manager_api: Api, case: dict[str, Any]
) -> None:
    attachment = upload(
        agent_api, b"<script>x</script>", "r\u00e9sum\u00e9.html", case_id=case["id"]
    ).json()
    response = manager_api.client.get(
        f"/api/v1/attachments/{attachment['id']}/content", headers=manager_api._headers(None)
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"<script>x</script>"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''r%C3%A9sum%C3%A9.html" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"


@override_settings(MAX_UPLOAD_MB=1)
def test_an_upload_over_the_limit_is_413_and_stores_nothing(agent_api: Api) -> None:
    response = upload(agent_api, b"x" * (1024 * 1024 + 1))
    assert_error(response, 413, "too_large")
    assert Attachment.objects.count() == 0
    assert list(run_all()) == []


def test_an_upload_without_a_file_is_422(agent_api: Api) -> None:
    response = agent_api.client.post("/api/v1/attachments", {}, headers=agent_api._headers(None))
    assert_error(response, 422, "validation_error")


def test_an_upload_to_an_unknown_case_is_422(agent_api: Api) -> None:
    response = upload(agent_api, b"x", case_id="00000000-0000-4000-8000-000000000000")
    assert_error(response, 422, "validation_error")
    assert Attachment.objects.count() == 0


def test_an_upload_on_no_case_is_seen_only_by_its_uploader(
    agent_api: Api, make_api: Any, make_user: Any
) -> None:
    attachment = upload(agent_api, b"draft").json()
    other = make_api(make_user("agent"))
    assert_error(other.get(f"/api/v1/attachments/{attachment['id']}"), 404, "not_found")
    assert agent_api.get(f"/api/v1/attachments/{attachment['id']}").status_code == 200


def test_anonymous_callers_get_401(anon_api: Api, agent_api: Api) -> None:
    attachment = upload(agent_api, b"x").json()
    assert_error(
        anon_api.get(f"/api/v1/attachments/{attachment['id']}/content"), 401, "unauthenticated"
    )


def test_the_case_lists_its_files_and_a_merge_moves_them(
    agent_api: Api, case: dict[str, Any]
) -> None:
    first = upload(agent_api, b"one", "one.txt", case_id=case["id"]).json()
    customer = {"type": "account", "id": case["customer"]["id"]}
    body = {"title": "Master", "customer": customer}
    master = agent_api.post("/api/v1/cases", body).json()
    assert (
        agent_api.post(f"/api/v1/cases/{case['id']}/merge", {"into": master["id"]}).status_code
        == 200
    )
    listed = agent_api.get(f"/api/v1/cases/{master['id']}/attachments").json()
    assert [a["id"] for a in listed["items"]] == [first["id"]]
    assert agent_api.get(f"/api/v1/cases/{case['id']}/attachments").json()["items"] == []


def test_check_reports_a_file_without_record_and_a_record_without_file(
    agent_api: Api, case: dict[str, Any]
) -> None:
    attachment = upload(agent_api, b"one", case_id=case["id"]).json()
    assert list(run_all()) == []
    record = Attachment.objects.get(id=attachment["id"])
    default_storage.delete(record.storage_name)
    default_storage.save("attachments/ab/stray", SimpleUploadedFile("x", b"stray"))
    found = [line for _name, line in run_all()]
    assert any(attachment["id"] in line and "missing" in line for line in found), found
    assert any("attachments/ab/stray has no attachment record" in line for line in found), found
    default_storage.delete("attachments/ab/stray")


def test_a_note_takes_files_uploaded_before(agent_api: Api, case: dict[str, Any]) -> None:
    attachment = upload(agent_api, b"photo", "photo.jpg").json()
    response = agent_api.post(
        f"/api/v1/cases/{case['id']}/notes",
        {"text": "See the photo.", "attachment_ids": [attachment["id"]]},
    )
    assert response.status_code == 201, response.content
    record = agent_api.get(f"/api/v1/attachments/{attachment['id']}").json()
    assert (record["case_id"], record["note_id"]) == (case["id"], response.json()["id"])


def test_a_note_cannot_take_another_users_upload(
    agent_api: Api, make_api: Any, make_user: Any, case: dict[str, Any]
) -> None:
    other = make_api(make_user("agent"))
    attachment = upload(other, b"theirs").json()
    response = agent_api.post(
        f"/api/v1/cases/{case['id']}/notes",
        {"text": "Mine now?", "attachment_ids": [attachment["id"]]},
    )
    assert "attachment_ids" in assert_error(response, 422, "validation_error")["details"]["fields"]
    assert agent_api.get(f"/api/v1/cases/{case['id']}/notes").json()["items"] == []
