"""Small adapters between HTTP and services: If-Match in, ETag out, page bodies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse

from casedesk.core.concurrency import ExpectedVersion, etag, parse_if_match
from casedesk.core.pagination import Page

T = TypeVar("T")


def if_match(request: HttpRequest) -> ExpectedVersion:
    return parse_if_match(request.headers.get("If-Match"))


def set_etag(response: HttpResponse, version: int) -> None:
    response["ETag"] = etag(version)


def page_body(page: Page[Any], render: Callable[[Any], T]) -> dict[str, Any]:
    return {"items": [render(item) for item in page.items], "next": page.next}
