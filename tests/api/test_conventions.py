"""The conventions every endpoint shares: error shape, status mapping, docs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Any

import pytest
from django.test import Client

from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db


def test_unknown_path_under_api_is_json_404(agent_api: Api) -> None:
    assert_error(agent_api.get("/api/v1/no/such/path"), 404, "not_found")


def test_unknown_path_is_json_404_for_anonymous_callers_too(anon_api: Api) -> None:
    assert_error(anon_api.get("/api/v1/nothing-here"), 404, "not_found")


def test_wrong_method_is_json_405_with_allow_header(agent_api: Api) -> None:
    response = agent_api.put("/api/v1/users", {})
    error = assert_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]
    assert "GET" in error["details"]["allowed"]


def test_malformed_json_is_400(agent_api: Api) -> None:
    assert_error(agent_api.post("/api/v1/teams", raw="{not json"), 400, "bad_request")


def test_bad_query_parameter_is_400(agent_api: Api) -> None:
    assert_error(agent_api.get("/api/v1/users", limit=0), 400, "bad_request")
    assert_error(agent_api.get("/api/v1/users", limit="many"), 400, "bad_request")
    assert_error(agent_api.get("/api/v1/users", limit=201), 400, "bad_request")


def test_bad_cursor_is_400(agent_api: Api) -> None:
    assert_error(agent_api.get("/api/v1/users", cursor="tampered"), 400, "bad_request")


def test_malformed_path_id_is_404(agent_api: Api) -> None:
    assert_error(agent_api.get("/api/v1/users/not-a-uuid"), 404, "not_found")


def test_unknown_id_is_404(agent_api: Api) -> None:
    assert_error(
        agent_api.get("/api/v1/users/00000000-0000-0000-0000-000000000000"), 404, "not_found"
    )


def test_invalid_values_are_422_with_fields(admin_api: Api) -> None:
    error = assert_error(
        admin_api.post("/api/v1/teams", {"name": "x" * 201}), 422, "validation_error"
    )
    assert "name" in error["details"]["fields"]


@pytest.mark.parametrize("bad", ["a\u0000b", "\ud800"])
def test_text_the_database_would_reject_is_422(admin_api: Api, bad: str) -> None:
    raw = '{"name": "' + ("a\\u0000b" if bad == "a\u0000b" else "\\ud800") + '"}'
    assert_error(admin_api.post("/api/v1/teams", raw=raw), 422, "validation_error")


def test_missing_credentials_are_401(anon_api: Api) -> None:
    assert_error(anon_api.get("/api/v1/users"), 401, "unauthenticated")


def test_bad_token_is_401() -> None:
    api = Api(Client(), "cd_not-a-real-token")
    assert_error(api.get("/api/v1/users"), 401, "unauthenticated")


def test_openapi_document_is_public(anon_api: Api) -> None:
    response = anon_api.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/auth/token" in doc["paths"]


def test_docs_page_is_public_and_loads_no_remote_asset(anon_api: Api) -> None:
    response = anon_api.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"""(src|href)=["']https?://""", html)
    for asset in re.findall(r"""(?:src|href)=["'](/static/[^"']+)""", html):
        assert Client().get(asset).status_code == 200, asset


def test_etag_carries_the_record_version(agent_api: Api, agent: Any) -> None:
    response = agent_api.get(f"/api/v1/users/{agent.id}")
    assert response["ETag"] == f'"{response.json()["version"]}"'


def test_unreachable_database_is_503_with_retry_after(tmp_path: Any) -> None:
    """A real process whose database server does not answer."""
    code = """
import os
os.environ['DJANGO_SETTINGS_MODULE'] = 'casedesk.settings'
import django; django.setup()
from django.test import Client
r = Client().get('/api/v1/users', headers={'Authorization': 'Bearer cd_x'})
print(r.status_code, r.get('Retry-After'), r.json()['error']['code'])
"""
    env = dict(
        os.environ,
        CASEDESK_DATA_DIR=str(tmp_path),
        DATABASE_URL="postgres://postgres@127.0.0.1:1/none",
        CASEDESK_DB_POOL_TIMEOUT="2",
        CASEDESK_ALLOWED_HOSTS="testserver",
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.stdout.split() == ["503", "5", "unavailable"], out.stderr[-2000:]
