"""Two middlewares: one around every request (its id, its log line, its metrics) and one that
answers the probes and /metrics before the host check."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import structlog
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils.functional import LazyObject

from casedesk.core.observability import metrics
from casedesk.core.observability.database import count_queries
from casedesk.core.observability.logs import REQUEST_ID_HEADER, request_id_from
from casedesk.core.proxies import client_address

log = structlog.get_logger("casedesk.request")

PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def _route(request: HttpRequest) -> str:
    """The URL pattern that answered, a bounded label: never the raw path, which holds ids."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.route:
        return "/" + match.route.lstrip("^")
    if request.path.startswith(settings.STATIC_URL):
        return "<static>"
    return "<unmatched>"


def _user(request: HttpRequest) -> tuple[str | None, str | None]:
    """The signed-in user, when the request already looked them up (never a query of its own)."""
    user: Any = request.__dict__.get("user")
    if user is None or issubclass(type(user), LazyObject):
        user = getattr(request, "_cached_user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None, None
    return str(user.pk), user.get_username()


class RequestObservabilityMiddleware:
    """First in the chain: give the request its id (the caller's `X-Request-ID` or a new one,
    echoed in the answer and bound to every record logged meanwhile), count its queries, and
    when it is answered write its log line and its metrics.

    Successful probes and scrapes are counted but not logged: a load balancer asks every few
    seconds, and the line would drown the others.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request_id = request_id_from(request.META.get("HTTP_X_REQUEST_ID"))
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            with count_queries() as queries:
                response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            elapsed = time.perf_counter() - started
            route = _route(request)
            method = str(request.method)
            metrics.HTTP_REQUESTS.labels(route, method, str(response.status_code)).inc()
            metrics.HTTP_REQUEST_DURATION.labels(route, method).observe(elapsed)
            if request.path_info not in PROBE_PATHS or response.status_code >= 400:
                user_id, username = _user(request)
                log.info(
                    "request",
                    method=method,
                    route=route,
                    status=response.status_code,
                    duration_ms=round(elapsed * 1000, 2),
                    db_queries=queries.count,
                    user_id=user_id,
                    username=username,
                    # Behind proxies listed in CASEDESK_TRUSTED_PROXIES, the client they name.
                    client=client_address(request),
                )
            return response
        finally:
            structlog.contextvars.clear_contextvars()


class ProbeMiddleware:
    """Answer `/healthz`, `/readyz` and `/metrics` straight away, before CommonMiddleware
    validates the Host header: load balancers and Prometheus address a server by its IP, which
    ALLOWED_HOSTS need not list. Placed after SecurityMiddleware, whose HTTPS redirect these
    paths are exempt from (SECURE_REDIRECT_EXEMPT)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info in PROBE_PATHS:
            try:
                match = resolve(request.path_info)
            except Resolver404:
                return self.get_response(request)
            request.resolver_match = match
            return match.func(request, *match.args, **match.kwargs)  # type: ignore[no-any-return]
        return self.get_response(request)
