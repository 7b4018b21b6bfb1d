"""What every view shares: the signed-in actor, 404s for unknown records, JSON refusals."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, TypeVar

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse

from casedesk.core.choices import Channel
from casedesk.core.errors import DomainError, NotFound
from casedesk.core.pagination import paginate
from casedesk.directory.models import User
from casedesk.web.errors import error_message, message_domain_error
from casedesk.web.forms.actions import VersionForm

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
    rows, following, _previous, status = page_both(
        request,
        queryset,
        order=order,
        limit=limit,
        scope=scope,
        cursor=cursor,
        annotations=annotations,
        nulls_last=nulls_last,
    )
    return rows, following, status


def page_both(
    request: HttpRequest,
    queryset: QuerySet[Any, T],
    *,
    order: Sequence[str],
    limit: int,
    scope: str,
    cursor: str | None = None,
    annotations: Mapping[str, Any] | None = None,
    nulls_last: Collection[str] = (),
    reverse: bool = False,
) -> tuple[list[T], str | None, str | None, int]:
    """`page_of` for a list that pages both ways, in `order` or (`reverse`) its exact
    reverse: the rows, the next and the previous page's cursors and the page's status."""
    try:
        page = paginate(
            queryset,
            order=order,
            limit=limit,
            cursor=(request.GET.get("cursor") if cursor is None else cursor) or None,
            scope=scope,
            annotations=annotations,
            nulls_last=nulls_last,
            reverse=reverse,
        )
    except DomainError as exc:
        messages.error(request, error_message(exc))
        return [], None, None, exc.status
    return list(page.items), page.next, page.previous, 200


def ordered_items(formset: Any) -> list[Any]:
    """The item forms of an editor's formset that were filled in and not deleted, in the order
    their order field asks (an item without one keeps its place)."""
    kept = [
        f
        for f in formset.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE") and not f.is_blank()
    ]
    position = {id(f): i for i, f in enumerate(formset.forms)}
    kept.sort(key=lambda f: (f.cleaned_data.get("ORDER") or position[id(f)] + 1, position[id(f)]))
    return kept


def activation_action(
    request: HttpRequest,
    action: str,
    *,
    activate: Callable[..., Any],
    deactivate: Callable[..., Any],
    active: str,
    inactive: str,
) -> None:
    """Activate or deactivate a configuration record (a rule set, an SLA) from its list page,
    with the version the page read: say what it now is, or why not."""
    form = VersionForm(request.POST)
    if not form.is_valid():
        return
    service = activate if action == "activate" else deactivate
    try:
        service(
            actor=actor(request),
            expected_version=form.cleaned_data["version"],
            channel=Channel.UI,
        )
    except DomainError as exc:
        message_domain_error(request, exc)
    else:
        messages.success(request, active if action == "activate" else inactive)
