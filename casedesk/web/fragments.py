"""Answers that are a part of a page, for htmx (docs/web.md#partial-updates)."""

from __future__ import annotations

from django.http import HttpRequest

# Marks an answer that is a part of the page: casedesk.js swaps it whatever its status.
FRAGMENT_HEADER = "X-Casedesk-Fragment"


def is_htmx(request: HttpRequest) -> bool:
    """Whether htmx sent the request (django-htmx's middleware reads its headers)."""
    return bool(getattr(request, "htmx", False))
