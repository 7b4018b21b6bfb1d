"""Sign in and out, the home page, the profile (language, API tokens) and the language
switch."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from casedesk.core.choices import Channel
from casedesk.core.errors import DomainError
from casedesk.directory import selectors, services
from casedesk.directory.models import ApiToken, User
from casedesk.web import dashboard
from casedesk.web.errors import form_add_domain_error, message_domain_error
from casedesk.web.forms.auth import LoginForm, ProfileForm, TokenForm
from casedesk.web.views.common import actor, found, page_of
from casedesk.web.views.notifications import settings_rows

TOKENS_PER_PAGE = 50


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form: Any) -> HttpResponse:
        """A refused attempt that must wait answers 429 with `Retry-After`, as the API does."""
        response = super().form_invalid(form)
        retry_after = getattr(form, "retry_after", None)
        if retry_after:
            response.status_code = 429
            response["Retry-After"] = str(retry_after)
        return response


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The dashboard: open cases by status and priority, created and resolved per day, queue
    sizes, entitlements near exhaustion."""
    dates, series = dashboard.created_and_resolved()
    status_bars = dashboard.open_by_status()
    priority_bars = dashboard.open_by_priority()
    queue_bars = dashboard.queue_sizes(actor(request))
    return render(
        request,
        "web/home.html",
        {
            "nav": "home",
            "by_status": dashboard.hbars(status_bars),
            "by_priority": dashboard.hbars(priority_bars),
            "open_total": sum(int(b.value) for b in status_bars),
            "per_day": dashboard.columns(dates, series),
            "per_day_table": [(d, [s.values[i] for s in series]) for i, d in enumerate(dates)],
            "series": series,
            "queues": dashboard.hbars(queue_bars),
            "near_exhaustion": dashboard.entitlements_near_exhaustion(),
            "compliance_tables": dashboard.sla_compliance(actor(request)),
            "nearing_breach": dashboard.sla_nearing_breach(),
        },
    )


def _with_language_cookie(response: HttpResponse, language: str) -> HttpResponse:
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
        )
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
    return response


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def token_rows(
    request: HttpRequest, *, user: User | None = None
) -> tuple[list[ApiToken], str | None, int]:
    """One page of the API tokens of the signed-in user, or of `user` (administrators): the
    rows, the next page's cursor and the page's status."""
    me = actor(request)
    owner = user or me
    return page_of(
        request,
        selectors.token_list(actor=me, user_id=owner.pk),
        order=("-created_at", "-id"),
        limit=TOKENS_PER_PAGE,
        scope=f"tokens:{owner.pk}",
    )


def _profile_page(
    request: HttpRequest,
    *,
    form: ProfileForm,
    token_form: TokenForm,
    status: int = 200,
    new_token: tuple[ApiToken, str] | None = None,
) -> HttpResponse:
    tokens, next_cursor, page_status = token_rows(request)
    return render(
        request,
        "web/profile.html",
        {
            "form": form,
            "token_form": token_form,
            "tokens": tokens,
            "next_cursor": next_cursor,
            "new_token": new_token,
            "notification_rows": settings_rows(request),
            "nav": "profile",
            # Shown after a form sent to /profile/tokens/: the bar shows the profile's address.
            "page_address": reverse("web:profile"),
        },
        status=status if status != 200 else page_status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = actor(request)
    status = 200
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            language = form.cleaned_data["language"]
            try:
                services.user_language_set(actor=user, language=language)
            except DomainError as exc:
                form_add_domain_error(form, exc)
                status = exc.status
            else:
                if language:
                    translation.activate(language)
                messages.success(request, _("Your profile was saved."))
                return _with_language_cookie(redirect("web:profile"), language)
        else:
            status = 422
    else:
        form = ProfileForm(initial={"language": user.language})
    return _profile_page(request, form=form, token_form=_token_form(), status=status)


# The one-time keys of the token forms already used, in the session (not the secrets).
_TOKEN_FORMS_USED = "token_forms_used"
_TOKEN_FORMS_KEPT = 20


def _token_form() -> TokenForm:
    return TokenForm(initial={"once": secrets.token_urlsafe(24)})


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    """A new API token of the signed-in user. Its secret is shown once, in this answer only:
    never in a redirect or a stored message."""
    user = actor(request)
    token_form = TokenForm(request.POST)
    status = 422
    new_token = None
    once = request.POST.get("once", "")
    used: list[str] = request.session.get(_TOKEN_FORMS_USED, [])
    if once and once in used:
        messages.info(
            request,
            _("This token was already created. Its secret was shown once and is not kept."),
        )
        return redirect("web:profile")
    if token_form.is_valid():
        try:
            new_token = services.token_create_for(
                actor=user,
                name=token_form.cleaned_data["name"],
                expires_in_days=token_form.cleaned_data["expires_in_days"],
                channel=Channel.UI,
            )
        except DomainError as exc:
            form_add_domain_error(token_form, exc)
            status = exc.status
        else:
            status = 200
            token_form = _token_form()
            if once:
                request.session[_TOKEN_FORMS_USED] = [*used, once][-_TOKEN_FORMS_KEPT:]
    response = _profile_page(
        request,
        form=ProfileForm(initial={"language": user.language}),
        token_form=token_form,
        status=status,
        new_token=new_token,
    )
    if new_token is not None:
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: uuid.UUID) -> HttpResponse:
    """Revoke an API token: your own, or anyone's for an administrator (the service's rule);
    back to the page it was listed on (`next`), else the profile."""
    found(services.token_revoke, actor=actor(request), token_id=token_id, channel=Channel.UI)
    messages.success(request, _("The token was revoked."))
    return redirect(_safe_next(request, reverse("web:profile")))


@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """The header's language menu: remembered in a cookie, and in the profile when signed in."""
    language = request.POST.get("language", "")
    codes = {code for code, _name in settings.LANGUAGES}
    target: Any = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    if language not in codes:
        return HttpResponseRedirect(target)
    if request.user.is_authenticated:
        try:
            services.user_language_set(actor=actor(request), language=language)
        except DomainError as exc:
            message_domain_error(request, exc)
    return _with_language_cookie(HttpResponseRedirect(target), language)
