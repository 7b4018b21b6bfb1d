"""One mapping from every failure to the error shape of docs/api.md."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja.errors import AuthenticationError, HttpError, ValidationError

from casedesk.core.errors import (
    DomainError,
    RateLimited,
    TooLarge,
    Unavailable,
    database_unavailable,
)

logger = logging.getLogger("casedesk.api")

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "version_mismatch",
    413: "too_large",
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
    if isinstance(exc, RateLimited | Unavailable):
        response["Retry-After"] = str(exc.retry_after)
    return response


def unavailable_response() -> JsonResponse:
    return domain_error_response(Unavailable("The database is unreachable or saturated."))


def is_unavailable(exc: BaseException) -> bool:
    """A database that cannot be reached, is saturated or broke a deadlock: not a defect."""
    return database_unavailable(exc)


def too_large_response() -> JsonResponse:
    limit = int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    return domain_error_response(
        TooLarge(f"The request body is over {limit} bytes.", details={"max_bytes": limit})
    )


# pydantic's error types for a value that should have been an object (a body or a nested one).
_NOT_AN_OBJECT = {"model_type", "model_attributes_type", "dict_type"}


def _field_name(loc: list[Any] | tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc[1:]]
    if len(loc) > 0 and loc[0] == "body":
        # ninja puts the parameter's own name first in the body location: the body itself
        # is `body`, a field of it its own name.
        return ".".join(parts[1:]) or "body"
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
        if err.get("type") in _NOT_AN_OBJECT:
            message = "must be a JSON object"
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

    @api.exception_handler(RequestDataTooBig)
    def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        logger.info("request body over the limit: %s %s", request.method, request.path)
        return too_large_response()

    @api.exception_handler(SuspiciousOperation)
    def _suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        # Too many form fields or files, a malformed multipart body: the request, not us.
        logger.info("refused request: %s", exc)
        return error_response(400, "bad_request", "The request is malformed.")

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
