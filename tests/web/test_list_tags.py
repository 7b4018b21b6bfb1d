"""The tags lists write on every row: `{% id_url %}` writes the same address as `{% url %}`, and
`{% query %}` the same query string as changing a copy of the request's QueryDict."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.template import Context, Template
from django.urls import reverse, set_script_prefix

from casedesk.web.templatetags.casedesk_web import id_url


@pytest.mark.parametrize(
    "name",
    ["web:case_detail", "web:case_resolve", "web:queue_item_pick", "web:queue_item_remove"],
)
def test_id_url_is_the_reversed_address(name: str) -> None:
    for pk in (uuid.uuid4(), str(uuid.uuid4())):
        assert id_url(name, pk) == reverse(name, args=[pk])


def test_id_url_follows_the_script_prefix_and_renders_in_templates() -> None:
    pk = uuid.uuid4()
    template = Template("{% load casedesk_web %}{% id_url 'web:case_detail' pk %}")
    assert template.render(Context({"pk": pk})) == f"/cases/{pk}/"
    try:
        set_script_prefix("/desk/")
        assert (
            id_url("web:case_detail", pk)
            == f"/desk/cases/{pk}/"
            == reverse("web:case_detail", args=[pk])
        )
    finally:
        set_script_prefix("/")


def test_id_url_refuses_what_is_not_an_id() -> None:
    with pytest.raises(ValueError):
        id_url("web:case_detail", "../admin")


@pytest.mark.parametrize(
    "path",
    [
        "/cases/",
        "/cases/?view=active&priority=high",
        "/cases/?view=active&status=on_hold&status=researching&search=caf%C3%A8+%26+t%C3%A8",
        "/cases/?cursor=abc&sort=-title&customer=account%3Axyz&q=a+b%2Bc",
    ],
)
def test_query_changes_parameters_as_the_query_dict_would(rf: Any, path: str) -> None:
    from casedesk.web.templatetags.casedesk_web import query

    request = rf.get(path)
    for changes in ({}, {"cursor": ""}, {"sort": "priority", "cursor": ""}, {"customer": "c:1"}):
        expected = request.GET.copy()
        for key, value in changes.items():
            if value == "":
                expected.pop(key, None)
            else:
                expected[key] = value
        encoded = expected.urlencode()
        assert query({"request": request}, **changes) == (f"?{encoded}" if encoded else "?")
