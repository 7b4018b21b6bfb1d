from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from casedesk.core.errors import RateLimited, Unauthenticated
from casedesk.directory import services
from casedesk.web.forms.base import WebForm, set_choices


class LoginForm(AuthenticationForm):
    """The sign-in form, throttled like token requests (SPEC §11)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The user name or password is wrong."),
        "throttled": _("Too many failed sign-ins. Try again in %(seconds)s seconds."),
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        password = self.cleaned_data.get("password") or ""
        if username and password:
            address = (
                str(self.request.META.get("REMOTE_ADDR") or "unknown")
                if self.request
                else "unknown"
            )
            try:
                self.user_cache = services.login_verify(
                    username=username, password=password, address=address
                )
            except RateLimited as exc:
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
