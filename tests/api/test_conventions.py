"""The conventions every endpoint shares: error shape, status mapping, docs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import typing
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from pydantic import BaseModel

from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db


def test_unknown_path_under_api_is_json_404(agent_api: Api) -> None:
    assert_error(agent_api.get("/api/v1/no/such/path"), 404, "not_found")


def test_unknown_path_is_json_404_for_anonymous_callers_too(anon_api: Api) -> None:
    assert_error(anon_api.get("/api/v1/nothing-here"), 404, "not_found")


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_unknown_path_is_404_for_every_method_even_without_a_csrf_token(method: str) -> None:
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)(
        "/api/v1/no/such/path", data="{}", content_type="application/json"
    )
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("path", ["/api/no/such/path", "/api/v2/cases", "/api/", "/api"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_unknown_path_outside_the_version_is_json_404_too(method: str, path: str) -> None:
    client = Client(enforce_csrf_checks=True)
    if method == "post":
        response = client.post(path, data="{}", content_type="application/json")
    else:
        response = client.get(path)
    assert_error(response, 404, "not_found")


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


@pytest.mark.slow
def test_unreachable_database_is_503_with_retry_after(tmp_path: Any) -> None:
    """A real process whose database server does not answer."""
    code = """
import os
os.environ['DJANGO_SETTINGS_MODULE'] = 'casedesk.settings'
import django; django.setup()
from django.test import Client
from pydantic import BaseModel
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


# --- request bodies: every operation, read from the router ----------------------------------


def _operations() -> Iterator[tuple[str, Any]]:
    """(path, operation) for every operation of the API."""
    from casedesk.api.app import api

    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                yield "/api/v1/" + (prefix + path).strip("/"), operation


def _body_params(operation: Any) -> list[Any]:
    return [m for m in operation.models if m.__ninja_param_source__ == "body"]


def _is_upload(operation: Any) -> bool:
    """A multipart upload (`POST /attachments`): its options are form fields beside the file."""
    return any(m.__ninja_param_source__ == "file" for m in operation.models)


def _models_in(annotation: Any, seen: set[type[BaseModel]]) -> Iterator[type[BaseModel]]:
    """Every pydantic model an annotation names, at any depth (lists, unions, fields)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        yield annotation
        for field in annotation.model_fields.values():
            yield from _models_in(field.annotation, seen)
        return
    for arg in typing.get_args(annotation):
        yield from _models_in(arg, seen)


def _body_models() -> list[type[BaseModel]]:
    seen: set[type[BaseModel]] = set()
    models: list[type[BaseModel]] = []
    for _path, operation in _operations():
        for param in _body_params(operation):
            for field in param.model_fields.values():
                models.extend(_models_in(field.annotation, seen))
    return models


def _loose_nodes(schema: Any, where: str = "") -> Iterator[str]:
    """Where a pydantic core schema takes a number or a boolean without strict mode."""
    if isinstance(schema, dict):
        kind = schema.get("type")
        numeric = isinstance(kind, str) and kind in {"int", "bool", "float", "decimal"}
        if numeric and schema.get("strict") is not True:
            yield f"{where}: {kind}"
        for key, value in schema.items():
            yield from _loose_nodes(value, f"{where}.{key}")
    elif isinstance(schema, list):
        for item in schema:
            yield from _loose_nodes(item, where)


WRITES = {"POST", "PATCH", "PUT"}


def test_every_write_operation_reads_its_options_from_a_body() -> None:
    """So that an unknown field is refused there too, even where no option exists."""
    missing = [
        f"{method} {path}"
        for path, operation in _operations()
        for method in set(operation.methods) & WRITES
        if not _body_params(operation) and not _is_upload(operation)
    ]
    assert not missing, missing


def test_every_operation_that_reads_a_body_declares_413_and_422() -> None:
    missing = [
        f"{operation.methods} {path}"
        for path, operation in _operations()
        if _body_params(operation) and not {413, 422} <= set(operation.response_models)
    ]
    assert not missing, missing


def test_every_body_schema_forbids_unknown_fields() -> None:
    models = _body_models()
    assert len(models) > 40, models
    loose = [m.__qualname__ for m in models if m.model_config.get("extra") != "forbid"]
    assert not loose, loose


def test_every_body_schema_takes_only_objects_as_objects() -> None:
    """ninja's Schema reads any value by attribute: `42` would pass as an empty object."""
    from ninja import Schema

    lenient = [m.__qualname__ for m in _body_models() if issubclass(m, Schema)]
    assert not lenient, lenient


def _times_read_from_numbers(schema: Any, where: str = "", checked: bool = False) -> Iterator[str]:
    """Where a core schema takes a time or a date without core.types' text-only check first
    (pydantic would read a number as seconds since 1970)."""
    from casedesk.core.types import iso_text_only

    if isinstance(schema, dict):
        kind = schema.get("type")
        if isinstance(kind, str) and kind in {"datetime", "date"} and not checked:
            yield f"{where}: {kind}"
        guarded = (
            kind == "function-before"
            and getattr(schema.get("function"), "get", lambda _k: None)("function") is iso_text_only
        )
        for key, value in schema.items():
            yield from _times_read_from_numbers(value, f"{where}.{key}", guarded)
    elif isinstance(schema, list):
        for item in schema:
            yield from _times_read_from_numbers(item, where, checked)


def test_every_body_schema_takes_times_and_dates_only_as_text() -> None:
    loose = [
        f"{m.__module__}.{m.__qualname__}{node}"
        for m in _body_models()
        for node in _times_read_from_numbers(m.__pydantic_core_schema__)
    ]
    assert not loose, loose


def test_every_body_schema_types_numbers_and_flags_strictly() -> None:
    loose = [
        f"{m.__module__}.{m.__qualname__}{node}"
        for m in _body_models()
        for node in _loose_nodes(m.__pydantic_core_schema__)
    ]
    assert not loose, loose


def _write_calls() -> list[tuple[str, str]]:
    calls = []
    for path, operation in _operations():
        if _is_upload(operation):  # tests/attachments/test_attachments_api.py
            continue
        for method in sorted(set(operation.methods) & WRITES):
            url = re.sub(r"\{[^}]+\}", "00000000-0000-4000-8000-000000000000", path)
            calls.append((method, url))
    return sorted(set(calls))


@pytest.mark.parametrize(("method", "url"), _write_calls())
def test_an_unknown_field_is_422_when_sent_to_any_write_operation(
    admin_api: Api, method: str, url: str
) -> None:
    error = assert_error(
        admin_api.call(method, url, {"no_such_field": True}), 422, "validation_error"
    )
    assert error["details"]["fields"].get("no_such_field") == "Extra inputs are not permitted"


@pytest.mark.parametrize(("method", "url"), _write_calls())
@pytest.mark.parametrize("body", ["[]", "42", '"text"'])
def test_a_body_that_is_not_an_object_is_422_when_sent_to_any_write_operation(
    admin_api: Api, method: str, url: str, body: str
) -> None:
    error = assert_error(admin_api.call(method, url, raw=body), 422, "validation_error")
    assert error["details"]["fields"] == {"body": "must be a JSON object"}, error


def test_every_error_code_is_in_the_catalogue_of_the_api_docs() -> None:
    from pathlib import Path

    from casedesk.core import errors

    def codes(cls: type[errors.DomainError]) -> Iterator[str]:
        yield cls.code
        for sub in cls.__subclasses__():
            yield from codes(sub)

    page = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    missing = sorted({c for c in codes(errors.DomainError) if f"`{c}`" not in page})
    assert not missing, missing
