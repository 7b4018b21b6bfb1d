"""The case list filters by every listed field: owner and customer among them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from casedesk.cases.services.common import Ref
from casedesk.customers.services import account_create

pytestmark = pytest.mark.django_db


def test_the_owner_filter_lists_that_owner_s_cases(
    web: Callable[..., Client], agent: Any, make_user: Callable[..., Any], make_case: Any
) -> None:
    other = make_user("agent")
    make_case(title="Mine")
    make_case(owner=other, title="Theirs")
    body = web(agent).get("/cases/", {"view": "active", "owner": f"user:{other.pk}"}).content
    assert b"Theirs" in body and b"Mine" not in body


def test_the_customer_link_filters_by_that_customer(
    web: Callable[..., Client], agent: Any, account: Any, make_case: Any
) -> None:
    other = account_create(actor=agent, name="Globex")
    make_case(title="Acme's")
    make_case(title="Globex's", customer=Ref("account", other.pk))
    client = web(agent)
    listed = client.get("/cases/?view=active").content.decode()
    assert f"customer=account%3A{other.pk}" in listed
    body = client.get("/cases/", {"view": "active", "customer": f"account:{other.pk}"})
    text = body.content.decode()
    assert "Globex&#x27;s" in text and "Acme&#x27;s" not in text
    assert f'<option value="account:{other.pk}" selected>Globex</option>' in text


def test_a_malformed_customer_is_refused_not_a_server_error(
    web: Callable[..., Client], agent: Any
) -> None:
    response = web(agent).get("/cases/", {"view": "active", "customer": "account:nope"})
    assert response.status_code == 200


def test_htmx_gets_only_the_list_region_and_a_plain_request_the_page(
    web: Callable[..., Client], agent: Any, make_case: Any
) -> None:
    make_case(title="Urgent one", priority="high")
    make_case(title="Calm one", priority="low")
    client = web(agent)
    params = {"view": "active", "priority": "high"}
    fragment = client.get(
        "/cases/", params, headers={"HX-Request": "true", "HX-Target": "case-list"}
    ).content.decode()
    assert "<html" not in fragment and 'class="tabs"' not in fragment
    assert "Urgent one" in fragment and "Calm one" not in fragment
    assert 'hx-get="/cases/"' in fragment and 'hx-push-url="true"' in fragment
    page = client.get("/cases/", params).content.decode()
    assert "<html" in page and 'id="case-list"' in page and "Urgent one" in page
    assert '<details class="filterbox" data-open-wide>' in page  # folded until the script opens it
