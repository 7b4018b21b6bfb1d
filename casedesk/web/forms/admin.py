"""Forms of the administration pages: queues, routing rule sets (items and conditions),
status reason transitions, service settings, users and teams."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from casedesk.cases.choices import ParentClosePolicy
from casedesk.cases.services.common import Ref
from casedesk.core.types import Name, Password, PersonName, ShortText, Username
from casedesk.directory.choices import Role
from casedesk.routing.choices import QueueType
from casedesk.routing.services.rule_sets import RuleItemSpec
from casedesk.web.fields import TypedCharField
from casedesk.web.forms.base import WebForm, set_choices
from casedesk.web.forms.conditions import ConditionRows


class QueueForm(WebForm):
    name = TypedCharField(type_=Name, label=_("Name"), max_length=200)
    type = forms.ChoiceField(
        label=_("Type"), choices=QueueType.choices, widget=forms.RadioSelect, initial="public"
    )
    members = forms.MultipleChoiceField(label=_("Members"), required=False)

    def __init__(self, *args: Any, users: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["members"], users)

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "type": data["type"],
            "member_ids": [uuid.UUID(m) for m in data["members"]],
        }


class RuleSetForm(WebForm):
    name = TypedCharField(type_=Name, label=_("Name"), max_length=200)


class RuleItemForm(ConditionRows, WebForm):
    """One ordered rule: a name, up to three conditions (all must hold), a destination."""

    name = TypedCharField(type_=Name, label=_("Rule name"), max_length=200, required=False)
    route_to = forms.ChoiceField(label=_("Route to"), required=False)

    def __init__(self, *args: Any, destinations: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["route_to"], [("", "—"), *destinations])
        self.add_condition_fields()

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not data.get("name") and not data.get("route_to")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.is_blank():
            return data
        if not data.get("name"):
            self.add_error("name", _("This field is required."))
        if not data.get("route_to"):
            self.add_error("route_to", _("Choose a queue, a user or a team."))
        return data

    def spec(self) -> RuleItemSpec:
        data = self.cleaned_data
        conditions = [condition for _row, condition in self.conditions()]
        kind, _sep, raw_id = data["route_to"].partition(":")
        target = uuid.UUID(raw_id)
        if kind == "queue":
            return RuleItemSpec(name=data["name"], conditions=conditions, queue_id=target)
        return RuleItemSpec(name=data["name"], conditions=conditions, owner=Ref(kind, target))


class ServiceSettingsForm(WebForm):
    parent_close_policy = forms.ChoiceField(
        label=_("When a parent case is closed"), choices=ParentClosePolicy.choices
    )
    max_child_cases = forms.IntegerField(
        label=_("Child cases per parent, at most"), min_value=0, max_value=100_000
    )
    allow_closed_updates = forms.BooleanField(
        label=_("Managers may correct resolved and cancelled cases"), required=False
    )
    apply_default_entitlement_on_create = forms.BooleanField(
        label=_("Apply the default entitlement to new cases"), required=False
    )
    apply_default_entitlement_on_update = forms.BooleanField(
        label=_("Apply the default entitlement when customer, contact or product change"),
        required=False,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class UserForm(WebForm):
    username = TypedCharField(type_=Username, label=_("User name"), max_length=150)
    full_name = TypedCharField(
        type_=PersonName, label=_("Full name"), required=False, max_length=100
    )
    email = forms.EmailField(label=_("E-mail"), required=False, max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.AGENT)
    password = TypedCharField(
        type_=Password,
        label=_("Password"),
        max_length=500,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    teams = forms.MultipleChoiceField(label=_("Teams"), required=False)

    def __init__(self, *args: Any, teams: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["teams"], teams)


class TeamForm(WebForm):
    name = TypedCharField(type_=Name, label=_("Team name"), max_length=200)
    members = forms.MultipleChoiceField(label=_("Members"), required=False)

    def __init__(self, *args: Any, users: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["members"], users)


class UserEditForm(WebForm):
    """An existing user: everything but the user name and the password."""

    full_name = TypedCharField(
        type_=ShortText, label=_("Full name"), required=False, max_length=200
    )
    email = forms.EmailField(label=_("E-mail"), required=False, max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    language = forms.ChoiceField(label=_("Language"), required=False)
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        help_text=_(
            "A deactivated user cannot sign in and their API tokens stop working; the cases "
            "they own stay theirs."
        ),
    )
    teams = forms.MultipleChoiceField(
        label=_("Teams"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, teams: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["teams"], teams)
        set_choices(self.fields["language"], [("", _("As the browser asks")), *settings.LANGUAGES])

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "full_name": data["full_name"] or "",
            "email": data["email"] or "",
            "role": data["role"],
            "language": data["language"] or "",
            "is_active": data["is_active"],
            "team_ids": [uuid.UUID(t) for t in data["teams"]],
        }


class PasswordSetForm(WebForm):
    password = TypedCharField(
        type_=Password,
        label=_("New password"),
        max_length=500,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label=_("New password again"),
        max_length=500,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data


class TeamEditForm(TeamForm):
    """An existing team: its name and members, deactivated users included."""

    members = forms.MultipleChoiceField(
        label=_("Members"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def values(self) -> dict[str, Any]:
        return {
            "name": self.cleaned_data["name"],
            "member_ids": [uuid.UUID(m) for m in self.cleaned_data["members"]],
        }
