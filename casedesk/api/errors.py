"""One mapping from every failure to the error shape of API.md."""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja.errors import AuthenticationError, HttpError, ValidationError

from casedesk.core.errors import DomainError, RateLimited, Unavailable

logger = logging.getLogger("casedesk.api")

RETRY_AFTER_UNAVAILABLE = 5

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "version_mismatch",
    413: "bad_request",
    415: "bad_request",
    422: "validation_error",
    429: "rate_limited",
    503: "unavailable",
}


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error_response(
    status: int, code: str | None = None, message: str = "", details: dict[str, Any] | None = None
) -> JsonResponse:
    code = code or _STATUS_CODES.get(status, "internal_error")
    return JsonResponse(error_body(code, message or code.replace("_", " "), details), status=status)


def domain_error_response(exc: DomainError) -> JsonResponse:
    response = JsonResponse(exc.as_dict(), status=exc.status)
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    elif isinstance(exc, Unavailable):
        response["Retry-After"] = str(RETRY_AFTER_UNAVAILABLE)
    return response


def unavailable_response() -> JsonResponse:
    return domain_error_response(Unavailable("The database is unreachable or saturated."))


def is_unavailable(exc: BaseException) -> bool:
    """A database that cannot be reached or whose pool is exhausted, not a query bug."""
    try:
        from psycopg_pool import PoolTimeout
    except ImportError:  # pragma: no cover - psycopg is a dependency
        PoolTimeout = ()  # type: ignore[assignment,misc]
    if isinstance(exc, PoolTimeout):
        return True
    if isinstance(exc, InterfaceError):
        return True
    if isinstance(exc, OperationalError):
        text = str(exc).lower()
        return any(
            marker in text
            for marker in (
                "database is locked",
                "connection",
                "could not connect",
                "server closed",
                "terminating",
                "timeout",
                "too many clients",
                "unable to open database",
            )
        )
    return False


def _field_name(loc: list[Any] | tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc[1:]]
    # ninja puts the parameter's own name first in the body location: drop it.
    if len(loc) > 0 and loc[0] == "body" and len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts) or str(loc[0] if loc else "body")


def validation_response(exc: ValidationError) -> JsonResponse:
    locations = {str(err.get("loc", ("body",))[0]) for err in exc.errors}
    if "path" in locations:
        return error_response(404, "not_found", "No such record.")
    fields: dict[str, str] = {}
    for err in exc.errors:
        loc = err.get("loc", ("body",))
        name = _field_name(loc)
        message = str(err.get("msg", "invalid"))
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        fields.setdefault(name, message)
    if "query" in locations:
        return error_response(
            400, "bad_request", "A query parameter is invalid.", {"fields": fields}
        )
    if any(err.get("type") == "json_invalid" for err in exc.errors):
        return error_response(400, "bad_request", "The body is not valid JSON.")
    return error_response(422, "validation_error", "Some values are invalid.", {"fields": fields})


def install(api: Any) -> None:
    @api.exception_handler(DomainError)
    def _domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return domain_error_response(exc)

    @api.exception_handler(ValidationError)
    def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return validation_response(exc)

    @api.exception_handler(AuthenticationError)
    def _auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(401, "unauthenticated", "Authentication is required.")

    @api.exception_handler(HttpError)
    def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
        status = exc.status_code
        message = str(exc)
        if status == 400 or (status == 422 and "parse" in message.lower()):
            return error_response(400, "bad_request", "The body is not valid JSON.")
        return error_response(status, None, message)

    @api.exception_handler(Http404)
    def _404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(404, "not_found", "No such record.")

    @api.exception_handler(Exception)
    def _other(request: HttpRequest, exc: Exception) -> HttpResponse:
        if is_unavailable(exc):
            logger.warning("database unavailable: %s", exc)
            return unavailable_response()
        if isinstance(exc, DatabaseError):
            logger.exception("database error")
        else:
            logger.exception("unhandled error")
        return error_response(500, "internal_error", "An unexpected error occurred.")
