"""Web middleware: the user's chosen language, a strict Content-Security-Policy, and pages
for what a view did not handle (a refusal, a busy database, a form over the size limit)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from casedesk.core.errors import DomainError, TooLarge, Unavailable, database_unavailable

logger = logging.getLogger("casedesk.web")

# Everything comes from this origin; no inline script or style, no plug-ins, no framing.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _supported(code: str) -> bool:
    return code in {lang for lang, _name in settings.LANGUAGES}


class UserLanguageMiddleware:
    """Use the signed-in user's `language` when set; otherwise the browser's (LocaleMiddleware).

    Placed after AuthenticationMiddleware; LocaleMiddleware has already chosen from the cookie
    or Accept-Language, and this overrides it with the profile's setting.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user is not None else ""
        if user is not None and user.is_authenticated and language and _supported(language):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Send a strict Content-Security-Policy with every page that does not set its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # The API answers JSON; its docs page ships its own scripts and styles.
        if request.path.startswith("/api/"):
            return response
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response


class RequestTooLargeMiddleware:
    """A form over the size limit (DATA_UPLOAD_MAX_MEMORY_SIZE) answers a 413 page instead of
    a bare 400 (the API answers its own JSON 413).

    Listed before CsrfViewMiddleware, whose check is the first to read a form: its
    `process_view` runs after the session, the language and the user are known.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        from django.core.exceptions import RequestDataTooBig

        if request.method != "POST" or request.path.startswith("/api/"):
            return None
        try:
            request.POST  # noqa: B018 - parsing the form is what may be refused
        except RequestDataTooBig:
            return _error_page(request, TooLarge())
        return None


def _error_page(request: HttpRequest, exception: DomainError) -> HttpResponse:
    from django.shortcuts import render

    from casedesk.web.errors import error_message

    return render(
        request,
        "web/error.html",
        # The bell's count reads the database, which may be what failed.
        {"message": error_message(exception), "code": exception.code, "hide_bell": True},
        status=exception.status,
    )


class FormAddressMiddleware:
    """A page that answered a form sent to a POST-only address (a form with errors is shown
    again at the address it was sent to) leaves that address in the browser's bar: reloading
    it, or opening it from the history, is a GET. Instead of a blank 405, such a GET is sent
    to the nearest page above it (`/cases/<id>/notes/` → `/cases/<id>/`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code != 405
            or request.method not in ("GET", "HEAD")
            or request.path.startswith("/api/")
        ):
            return response
        from django.shortcuts import redirect
        from django.urls import Resolver404, resolve

        parts = [p for p in request.path.split("/") if p]
        while parts:
            parts.pop()
            candidate = "/" + "".join(f"{p}/" for p in parts)
            try:
                resolve(candidate)
            except Resolver404:
                continue
            return redirect(candidate)
        return redirect("/")


class DomainErrorPageMiddleware:
    """A refusal that a page did not handle itself is shown as a page with its status, never
    as a server error (the API maps its own); so is a database that is unreachable, saturated
    or broke a deadlock (503, try again)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.path.startswith("/api/"):
            return None
        if isinstance(exception, DomainError):
            return _error_page(request, exception)
        if database_unavailable(exception):
            logger.warning("database unavailable: %s", exception)
            busy = Unavailable()
            response = _error_page(request, busy)
            response["Retry-After"] = str(busy.retry_after)
            return response
        return None
