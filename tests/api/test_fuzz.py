"""Schemathesis against our own OpenAPI document: every operation, as an agent and as an admin.

No answer may be a server error, and every answer must match the schema the operation declares
(status code, content type and body).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from casedesk.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = int(os.environ.get("CASEDESK_FUZZ_EXAMPLES", "8"))

# Every operation, for two callers, on generated input: the whole suite's job, not the quick
# loop's (`make test-fast`).
pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def keep_the_test_connection_open() -> Any:
    """Django closes connections when a request finishes; in-process calls share the test's."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(params=["agent", "admin"])
def bearer(request: pytest.FixtureRequest, make_user: Any, db: None) -> dict[str, str]:
    from casedesk.directory import services

    user = make_user(request.param)
    _token, secret = services.token_create(user=user)
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
def test_no_operation_fails_or_breaks_its_schema(
    case: schemathesis.Case, bearer: dict[str, str]
) -> None:
    case.call_and_validate(headers=bearer, checks=CHECKS)
