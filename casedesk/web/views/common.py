"""What every view shares: the signed-in actor, 404s for unknown records, JSON refusals."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, TypeVar

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse

from casedesk.core.errors import DomainError, NotFound
from casedesk.core.pagination import paginate
from casedesk.directory.models import User
from casedesk.web.errors import error_message

T = TypeVar("T")
View = Callable[..., HttpResponse]


def actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def found(getter: Callable[..., T], **kwargs: Any) -> T:
    """Call a selector; an unknown record is the web's 404 page."""
    try:
        return getter(**kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def parse_uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def json_error(exc: DomainError) -> JsonResponse:
    body = exc.as_dict()
    body["error"]["message"] = error_message(exc)
    return JsonResponse(body, status=exc.status)


def session_json(view: View) -> View:
    """For the small endpoints the pages call: 401 JSON (not a redirect) when signed out."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return JsonResponse(
                {"error": {"code": "unauthenticated", "message": "Sign in.", "details": {}}},
                status=401,
            )
        return view(request, *args, **kwargs)

    return wrapper


def posted_version(request: HttpRequest) -> int | None:
    """The record version a form was read at (`version`), or None when absent or malformed."""
    raw = request.POST.get("version") or ""
    return int(raw) if raw.isdigit() and len(raw) <= 9 else None


def page_of(
    request: HttpRequest,
    queryset: QuerySet[Any, T],
    *,
    order: Sequence[str],
    limit: int,
    scope: str,
    cursor: str | None = None,
    annotations: Mapping[str, Any] | None = None,
    nulls_last: Collection[str] = (),
) -> tuple[list[T], str | None, int]:
    """One page of a list (its cursor from `?cursor=` unless given): the rows, the next
    page's cursor and the page's status. A stale or tampered cursor is an empty page with
    the refusal as a message and its 4xx status, never a server error."""
    try:
        page = paginate(
            queryset,
            order=order,
            limit=limit,
            cursor=(request.GET.get("cursor") if cursor is None else cursor) or None,
            scope=scope,
            annotations=annotations,
            nulls_last=nulls_last,
        )
    except DomainError as exc:
        messages.error(request, error_message(exc))
        return [], None, exc.status
    return list(page.items), page.next, 200
