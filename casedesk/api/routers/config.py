"""Service configuration: `/config/service` and `/config/status-transitions`."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router

from casedesk.api.auth import actor
from casedesk.api.http import if_match, set_etag
from casedesk.api.schemas import In, Out, errors
from casedesk.cases.choices import ParentClosePolicy
from casedesk.cases.models import ServiceSettings
from casedesk.cases.selectors import service_settings
from casedesk.cases.services import config as services
from casedesk.core.types import Code, Count, Flag

router = Router(tags=["configuration"])


class ServiceOut(Out):
    parent_close_policy: str
    max_child_cases: int
    allow_closed_updates: bool
    apply_default_entitlement_on_create: bool
    apply_default_entitlement_on_update: bool
    version: int
    modified_at: str | None


class ServicePatch(In):
    parent_close_policy: ParentClosePolicy | None = None
    max_child_cases: Count | None = None
    allow_closed_updates: Flag | None = None
    apply_default_entitlement_on_create: Flag | None = None
    apply_default_entitlement_on_update: Flag | None = None


class TransitionsOut(Out):
    enforced: bool
    allowed: dict[str, list[str]]


class TransitionsIn(In):
    enforced: Flag
    allowed: dict[Code, list[Code]] = {}


def service_out(response: HttpResponse, config: ServiceSettings) -> dict[str, Any]:
    set_etag(response, config.version)
    return {
        "parent_close_policy": config.parent_close_policy,
        "max_child_cases": config.max_child_cases,
        "allow_closed_updates": config.allow_closed_updates,
        "apply_default_entitlement_on_create": config.apply_default_entitlement_on_create,
        "apply_default_entitlement_on_update": config.apply_default_entitlement_on_update,
        "version": config.version,
        "modified_at": config.modified_at.isoformat() if config.modified_at else None,
    }


def transitions_out(response: HttpResponse, config: ServiceSettings) -> dict[str, Any]:
    set_etag(response, config.version)
    return {"enforced": config.transitions_enforced, "allowed": config.transitions_allowed}


@router.get("/config/service", response={200: ServiceOut, **errors()})
def service_get(request: HttpRequest, response: HttpResponse) -> Any:
    return service_out(response, service_settings())


@router.patch("/config/service", response={200: ServiceOut, **errors(403, 412, 413, 422)})
def service_update(request: HttpRequest, payload: ServicePatch, response: HttpResponse) -> Any:
    """Managers change the service settings (a merge patch)."""
    config = services.service_settings_update(
        actor=actor(request),
        changes=payload.model_dump(exclude_unset=True),
        expected_version=if_match(request),
    )
    return service_out(response, config)


@router.get("/config/status-transitions", response={200: TransitionsOut, **errors()})
def transitions_get(request: HttpRequest, response: HttpResponse) -> Any:
    return transitions_out(response, service_settings())


@router.put(
    "/config/status-transitions", response={200: TransitionsOut, **errors(403, 412, 413, 422)}
)
def transitions_set(request: HttpRequest, payload: TransitionsIn, response: HttpResponse) -> Any:
    """Managers replace the status reason transitions. When `enforced`, every active status must
    reach a resolved or cancelled status (422 otherwise)."""
    config = services.status_transitions_set(
        actor=actor(request),
        enforced=payload.enforced,
        allowed=payload.allowed,
        expected_version=if_match(request),
    )
    return transitions_out(response, config)
