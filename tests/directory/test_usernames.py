"""User names hold no control, format or invisible characters: one rule for the API, the web
form (tests/web/test_admin_pages.py) and the command line (tests/cli/test_commands.py)."""

from __future__ import annotations

from typing import Any

import pytest

from casedesk.core.errors import ValidationFailed
from casedesk.directory import services
from casedesk.directory.models import User
from tests.conftest import PASSWORD, Api, assert_error

pytestmark = pytest.mark.django_db

BAD_NAMES = [
    pytest.param("anna\nroot\tadmin", id="newline"),
    pytest.param("anna\rx", id="carriage-return"),
    pytest.param("anna\tx", id="tab"),
    pytest.param("anna\x1b[31m", id="escape"),
    pytest.param("anna\x7f", id="delete"),
    pytest.param("anna\x85x", id="c1-next-line"),
    pytest.param("\u202enimda", id="bidi-override"),
    pytest.param("ad\u2066min\u2069", id="bidi-isolate"),
    pytest.param("ad\u200bmin", id="zero-width-space"),
    pytest.param("ad\u200dmin", id="zero-width-joiner"),
    pytest.param("\ufeffadmin", id="byte-order-mark"),
    pytest.param("anna\u2028x", id="line-separator"),
    pytest.param("anna\u00a0rossi", id="no-break-space"),
]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_user_create_refuses_the_name_when_it_holds_an_invisible_or_control_character(
    admin: Any, name: str
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.user_create(actor=admin, username=name, password=PASSWORD)
    assert "username" in exc.value.details["fields"]
    assert not User.objects.filter(username=name).exists()


@pytest.mark.parametrize("name", ["anna", "anna.rossi", "Anna Rossi", "niccolò", "o'brien"])
def test_user_create_accepts_the_name_when_it_is_printable(admin: Any, name: str) -> None:
    assert services.user_create(actor=admin, username=name, password=PASSWORD).username == name


def test_api_answers_422_naming_the_user_name_when_it_holds_a_newline(
    admin_api: Api,
) -> None:
    response = admin_api.post(
        "/api/v1/users", {"username": "evil\nroot\tadmin", "password": PASSWORD}
    )
    error = assert_error(response, 422, "validation_error")
    assert "username" in error["details"]["fields"]
    assert not User.objects.filter(username__startswith="evil").exists()
