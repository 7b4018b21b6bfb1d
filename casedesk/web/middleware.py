"""Web middleware: the user's chosen language, and a strict Content-Security-Policy."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

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


class DomainErrorPageMiddleware:
    """A refusal that a page did not handle itself is shown as a page with its status, never
    as a server error (the API maps its own)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.shortcuts import render

        from casedesk.core.errors import DomainError
        from casedesk.web.errors import error_message

        if request.path.startswith("/api/") or not isinstance(exception, DomainError):
            return None
        return render(
            request,
            "web/error.html",
            {"message": error_message(exception), "code": exception.code},
            status=exception.status,
        )
