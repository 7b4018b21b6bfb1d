"""A body over the size limit answers 413 `too_large`, never a server error, whatever its
form: JSON, a multipart form, or a Content-Length that claims more than is sent."""

from __future__ import annotations

import logging
import re
import socket
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from casedesk.directory.models import ApiToken, Team
from tests.conftest import Api, assert_error
from tests.support.processes import fresh_database_env, running_server

pytestmark = pytest.mark.django_db


def _too_big() -> int:
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE) + 1024


def _json_over_the_limit() -> str:
    return '{"name": "' + "x" * _too_big() + '"}'


def test_a_json_body_over_the_limit_is_413_when_posted_by_a_signed_in_caller(
    admin_api: Api,
) -> None:
    response = admin_api.post("/api/v1/teams", raw=_json_over_the_limit())
    error = assert_error(response, 413, "too_large")
    assert error["details"]["max_bytes"] == settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert not Team.objects.exists()


def test_a_json_body_over_the_limit_is_413_when_the_caller_is_anonymous(
    anon_api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    raw = '{"username": "anna", "password": "' + "x" * _too_big() + '"}'
    with caplog.at_level(logging.INFO):
        response = anon_api.post("/api/v1/auth/token", raw=raw)
    assert_error(response, 413, "too_large")
    assert not ApiToken.objects.exists()
    assert not [r for r in caplog.records if r.exc_info], "no traceback is logged"


def test_a_multipart_body_over_the_limit_is_413(admin_api: Api) -> None:
    response = admin_api.client.post(
        "/api/v1/teams",
        {"name": "x" * _too_big()},
        headers={"Authorization": f"Bearer {admin_api.token}"},
    )
    assert_error(response, 413, "too_large")
    assert not Team.objects.exists()


def test_a_content_length_over_the_limit_is_413_when_the_body_is_small(admin_api: Api) -> None:
    response = admin_api.client.post(
        "/api/v1/teams",
        data='{"name": "Tier 1"}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {admin_api.token}"},
        CONTENT_LENGTH=str(10**12),
    )
    assert_error(response, 413, "too_large")
    assert not Team.objects.exists()


def test_a_body_under_the_limit_is_taken_when_it_is_large(admin_api: Api) -> None:
    """The limit leaves room for an import of 1,000 cases with long descriptions."""
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE >= 10 * 1024 * 1024
    padding = " " * (3 * 1024 * 1024)
    response = admin_api.post("/api/v1/teams", raw='{"name": "Tier 1"}' + padding)
    assert response.status_code == 201, response.content[:300]


@pytest.mark.parametrize("multipart", [False, True])
def test_a_form_over_the_limit_is_a_413_page_when_posted_to_the_web_ui(multipart: bool) -> None:
    big = "x" * _too_big()
    if multipart:
        response = Client().post("/login/", {"username": "anna", "password": big})
    else:
        response = Client().post(
            "/login/",
            data=f"username=anna&password={big}",
            content_type="application/x-www-form-urlencoded",
        )
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert "too large" in response.content.decode()


@pytest.mark.slow
def test_a_real_server_answers_413_at_once_when_content_length_claims_too_much(
    tmp_path: Path,
) -> None:
    """Over a socket: the server answers without waiting for bytes that never come."""
    with (
        fresh_database_env(tmp_path, migrated=True) as env,
        running_server(env, workers=1) as (base, _proc),
    ):
        port = int(base.rsplit(":", 1)[1])
        body = b'{"username": "anna", "password": "secret"}'
        request = (
            b"POST /api/v1/auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 999999999999\r\n\r\n" + body
        )
        with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
            sock.sendall(request)
            answer = _read_head(sock)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"too_large"' in answer


def _read_head(sock: socket.socket) -> bytes:
    """One whole answer: its head, then as many bytes of body as its Content-Length says."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, data
        body += chunk
    return head + b"\r\n\r\n" + body
