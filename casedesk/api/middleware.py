"""Keep every answer under /api/v1 in the JSON error shape, whatever produced it."""

from __future__ import annotations

import json
from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

from casedesk.api.errors import (
    error_response,
    is_unavailable,
    too_large_response,
    unavailable_response,
)

API_PREFIX = "/api/v1/"

_MESSAGES = {
    403: "You are not allowed to do this.",
    404: "No such record or path.",
    405: "This method is not allowed on this path.",
    500: "An unexpected error occurred.",
}


class ApiErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX) or response.status_code < 400:
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        status = response.status_code
        converted = error_response(status, None, _MESSAGES.get(status, ""))
        if status == 405:
            allow = response.get("Allow")
            if allow:
                converted["Allow"] = allow
                converted.content = json.dumps(
                    {
                        "error": {
                            "code": "method_not_allowed",
                            "message": _MESSAGES[405],
                            "details": {"allowed": [m.strip() for m in allow.split(",")]},
                        }
                    }
                ).encode()
        for header in ("Retry-After",):
            if header in response:
                converted[header] = response[header]
        return converted

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith(API_PREFIX):
            return None
        if is_unavailable(exception):
            return unavailable_response()
        if isinstance(exception, RequestDataTooBig):
            return too_large_response()
        return error_response(500, "internal_error", _MESSAGES[500])
