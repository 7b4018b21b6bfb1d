"""`If-Match` as RFC 9110 reads it: a list of entity tags matches when any of them is the
record's current version; `*` matches any version; a weak tag `W/"N"` compares weakly (as
`"N"`)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(agent_api: Api) -> dict[str, Any]:
    response = agent_api.post("/api/v1/accounts", {"name": "Città Ottica"})
    assert response.status_code == 201, response.content
    return dict(response.json())


def _rename(api: Api, account: dict[str, Any], if_match: str) -> Any:
    return api.patch(
        f"/api/v1/accounts/{account['id']}",
        {"name": "Ottica Rossi"},
        headers={"If-Match": if_match},
    )


@pytest.mark.parametrize(
    "header",
    [
        '"999", "{v}"',
        '"{v}", "999"',
        '"998","999" , "{v}"',
        'W/"{v}"',
        '"999", W/"{v}"',
        '"999", , "{v}"',
        "*",
    ],
)
def test_the_change_is_made_when_any_listed_tag_is_the_current_version(
    agent_api: Api, account: dict[str, Any], header: str
) -> None:
    response = _rename(agent_api, account, header.format(v=account["version"]))
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Ottica Rossi"
    assert response["ETag"] == f'"{account["version"] + 1}"'


@pytest.mark.parametrize("header", ['"998", "999"', 'W/"998", "999"'])
def test_the_change_is_refused_with_412_when_no_listed_tag_is_the_current_version(
    agent_api: Api, account: dict[str, Any], header: str
) -> None:
    error = assert_error(_rename(agent_api, account, header), 412, "version_mismatch")
    assert error["details"] == {"expected": [998, 999], "current": account["version"]}
    after = agent_api.get(f"/api/v1/accounts/{account['id']}").json()
    assert after["name"] == "Città Ottica" and after["version"] == account["version"]


@pytest.mark.parametrize("header", ['"abc"', '*, "1"', '"1", W/x', '"1" "2"'])
def test_the_change_is_refused_with_400_when_if_match_is_not_a_list_of_version_tags(
    agent_api: Api, account: dict[str, Any], header: str
) -> None:
    assert_error(_rename(agent_api, account, header), 400, "bad_request")
    after = agent_api.get(f"/api/v1/accounts/{account['id']}").json()
    assert after["version"] == account["version"]
