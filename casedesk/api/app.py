"""The HTTP API (`/api/v1`): one NinjaAPI, Bearer authentication on every operation."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI

from casedesk.api import errors
from casedesk.api.auth import BearerAuth
from casedesk.api.renderers import JsonRenderer
from casedesk.api.routers import (
    activities,
    attachments,
    auth,
    calendars,
    case_actions,
    case_kpis,
    cases,
    catalog,
    config,
    contracts,
    customers,
    directory,
    emails,
    entitlements,
    events,
    imports,
    mailboxes,
    notifications,
    queues,
    routing,
    similar,
    slas,
)

api = NinjaAPI(
    title="casedesk",
    version="1",
    description="Customer-service case management.",
    auth=BearerAuth(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    renderer=JsonRenderer(),
)
errors.install(api)

api.add_router("/auth", auth.router)
api.add_router("/", directory.router)
api.add_router("/", customers.router)
api.add_router("/", catalog.router)
api.add_router("/", routing.router)  # before cases: POST /cases/route vs /cases/{id}
api.add_router("/", imports.router)  # and POST /cases/import
api.add_router("/", cases.router)
api.add_router("/", activities.router)
api.add_router("/", case_actions.router)
api.add_router("/", case_kpis.router)
api.add_router("/", config.router)
api.add_router("/", entitlements.router)
api.add_router("/", contracts.router)
api.add_router("/", queues.router)
api.add_router("/", calendars.router)
api.add_router("/", slas.router)
api.add_router("/", similar.router)
api.add_router("/", attachments.router)
api.add_router("/", mailboxes.router)
api.add_router("/", emails.router)
api.add_router("/", events.router)
api.add_router("/", notifications.router)


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Any path under /api that no operation serves, whatever the method: it changes
    nothing, so a request without a CSRF token is told the path does not exist, not that it
    is forbidden."""
    return errors.error_response(404, "not_found", "No such path.")
