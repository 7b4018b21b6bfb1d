"""`/healthz`, `/readyz` and `/metrics`: public probes for load balancers and the scrape
endpoint for Prometheus. They are answered before the host check (see middleware), so a load
balancer or Prometheus may address the server by its IP address."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from casedesk.core.observability import metrics
from casedesk.core.observability.probes import OK, SKIPPED, readiness

_METHODS = ("GET", "HEAD")
# A request relayed by a proxy carries one of these; its REMOTE_ADDR is the proxy's.
_RELAYED = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _method_not_allowed() -> HttpResponse:
    response = JsonResponse({"status": "method_not_allowed"}, status=405)
    response["Allow"] = ", ".join(_METHODS)
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    """The process answers. No database access: a database outage must not make every server
    look dead and restarted."""
    if request.method not in _METHODS:
        return _method_not_allowed()
    return _no_store(JsonResponse({"status": "ok"}))


def readyz(request: HttpRequest) -> HttpResponse:
    """Ready for traffic: 200 with each check `ok`, or 503 naming the failing check."""
    if request.method not in _METHODS:
        return _method_not_allowed()
    checks = readiness()
    failing = [name for name, outcome in checks.items() if outcome not in (OK, SKIPPED)]
    if failing:
        body = {"status": "unavailable", "failing": failing, "checks": checks}
        return _no_store(JsonResponse(body, status=503))
    return _no_store(JsonResponse({"status": "ok", "checks": checks}))


def metrics_allowed(request: HttpRequest) -> bool:
    """The bearer of `CASEDESK_METRICS_TOKEN`, or a direct caller from `CASEDESK_METRICS_ALLOW`.

    A request relayed by a proxy is never let in by address: a proxy on the same machine would
    otherwise open /metrics to everyone it serves.
    """
    token = settings.METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header[len("Bearer ") :].strip().encode(), token.encode())
    if any(request.META.get(name) for name in _RELAYED):
        return False
    try:
        address = ipaddress.ip_address(str(request.META.get("REMOTE_ADDR") or ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net) for net in settings.METRICS_ALLOW)


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus's scrape: 403 for a caller neither holding the token nor allowed by address."""
    if request.method not in _METHODS:
        return _method_not_allowed()
    if not metrics_allowed(request):
        return _no_store(JsonResponse({"status": "forbidden"}, status=403))
    body, content_type = metrics.exposition()
    return _no_store(HttpResponse(body, content_type=content_type))
