from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from casedesk.core.errors import RateLimited, Unauthenticated
from casedesk.core.proxies import UNKNOWN, client_address
from casedesk.directory import services
from casedesk.web.forms.base import WebForm, set_choices


class LoginForm(AuthenticationForm):
    """The sign-in form, delayed after failures like token requests (docs/security.md);
    `retry_after` says how long a refused attempt must wait."""

    retry_after: int | None = None

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The user name or password is wrong."),
        "throttled": _("Too many failed sign-ins. Try again in %(seconds)s seconds."),
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        password = self.cleaned_data.get("password") or ""
        if username and password:
            address = client_address(self.request) if self.request else UNKNOWN
            try:
                self.user_cache = services.login_verify(
                    username=username, password=password, address=address
                )
            except RateLimited as exc:
                self.retry_after = exc.retry_after
                raise forms.ValidationError(
                    self.error_messages["throttled"],
                    code="throttled",
                    params={"seconds": exc.retry_after},
                ) from exc
            except Unauthenticated as exc:
                raise self.get_invalid_login_error() from exc
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class ProfileForm(WebForm):
    language = forms.ChoiceField(label=_("Language"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from django.conf import settings

        super().__init__(*args, **kwargs)
        set_choices(self.fields["language"], [("", _("As the browser asks")), *settings.LANGUAGES])


class TokenForm(WebForm):
    """A new API token of the profile page: a name and an optional lifetime in days."""

    name = forms.CharField(label=_("Token name"), max_length=100)
    expires_in_days = forms.IntegerField(
        label=_("Expires after (days)"),
        required=False,
        min_value=1,
        max_value=3650,
        help_text=_("Leave empty for the default lifetime."),
    )
    # A one-time key of the form as the page showed it: sending the same form again (a reload
    # of the page that shows the new secret) creates no second token.
    once = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
