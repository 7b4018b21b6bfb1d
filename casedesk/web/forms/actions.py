"""Forms of the case page's commands and dialogs: resolve, cancel or merge, reactivate,
assign, add to queue, activities, notes, posts and similar cases."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from casedesk.cases.choices import ActivityType, Direction, Status
from casedesk.cases.services.common import Ref
from casedesk.cases.workflow import RESOLVED_STATUSES
from casedesk.core.types import LongText, MessageText, Minutes, ResolutionText, SearchText, Title
from casedesk.web.fields import TypedCharField, TypedIntegerField
from casedesk.web.forms.base import WebForm, set_choices


class VersionForm(WebForm):
    """An action on a record read at `version` (the If-Match of the web UI)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ResolveForm(VersionForm):
    resolution_type = forms.ChoiceField(label=_("Resolution type"))
    resolution = TypedCharField(
        type_=ResolutionText,
        label=_("Resolution"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    billable_minutes = TypedIntegerField(
        type_=Minutes, label=_("Billable time (minutes)"), required=False, min_value=0
    )
    cancel_open_activities = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, resolution_types: Sequence[str] = RESOLVED_STATUSES, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.offer(resolution_types)

    def offer(self, resolution_types: Sequence[str]) -> None:
        """Offer these resolution types (a save reads any; the service decides)."""
        set_choices(
            self.fields["resolution_type"], [(s, Status(s).label) for s in resolution_types]
        )


class CancelForm(VersionForm):
    """Cancel the case, or merge it into a master case (the seed's "Conferma annullamento")."""

    status = forms.ChoiceField(
        label=_("Case status"),
        choices=[("cancelled", Status.CANCELLED.label), ("merged", Status.MERGED.label)],
        widget=forms.RadioSelect,
        initial="cancelled",
    )
    # Any case id: the dialog offers the merge candidates, and the service checks the master.
    into = forms.CharField(label=_("Merge into the case"), required=False, widget=forms.Select)
    cancel_open_activities = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def offer(self, *, statuses: Sequence[str], masters: list[tuple[str, str]]) -> None:
        """Offer only these of `cancelled` and `merged`, and these cases to merge into."""
        field = self.fields["status"]
        set_choices(field, [(s, Status(s).label) for s in statuses])
        if statuses and self.initial.get("status", field.initial) not in statuses:
            self.initial["status"] = statuses[0]
        self.fields["into"].widget.choices = [("", "—"), *masters]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("status") == "merged" and not data.get("into"):
            self.add_error("into", _("Choose the case to merge into."))
        return data

    def clean_into(self) -> uuid.UUID | None:
        value = self.cleaned_data.get("into")
        if not value:
            return None
        try:
            return uuid.UUID(value)
        except ValueError as exc:
            raise forms.ValidationError(_("Choose the case to merge into.")) from exc


def parse_owner(value: str) -> Ref | None:
    kind, _sep, raw = (value or "").partition(":")
    if kind not in {"user", "team"}:
        return None
    try:
        return Ref(kind, uuid.UUID(raw))
    except ValueError:
        return None


class AssignForm(VersionForm):
    owner = forms.ChoiceField(label=_("Assign to"))

    def __init__(self, *args: Any, owners: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["owner"], owners)

    def clean_owner(self) -> Ref:
        ref = parse_owner(self.cleaned_data.get("owner") or "")
        if ref is None:
            raise forms.ValidationError(_("Choose a user or a team."))
        return ref


class QueueForm(VersionForm):
    queue = forms.ChoiceField(label=_("Queue"))

    def __init__(self, *args: Any, queues: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["queue"], queues)

    def clean_queue(self) -> uuid.UUID:
        return uuid.UUID(self.cleaned_data["queue"])


def _when(label: Any) -> forms.DateTimeField:
    """A date and time (`datetime-local`: the value it shows must be ISO, without seconds)."""
    return forms.DateTimeField(
        label=label,
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class ActivityFields(WebForm):
    """What a phone call, task, e-mail or appointment says, as it is added or edited."""

    subject = TypedCharField(
        type_=Title, label=pgettext_lazy("activity", "Subject"), max_length=200
    )
    direction = forms.ChoiceField(
        label=_("Direction"), required=False, choices=[("", "—"), *Direction.choices]
    )
    due = _when(_("Due"))
    scheduled_start = _when(_("Start (appointments)"))
    scheduled_end = _when(_("End (appointments)"))
    duration_minutes = TypedIntegerField(
        type_=Minutes, label=_("Duration (minutes)"), required=False, min_value=0
    )
    description = TypedCharField(
        type_=LongText,
        label=_("Description"),
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_direction(self) -> str | None:
        return self.cleaned_data.get("direction") or None


class ActivityForm(ActivityFields):
    """Quick add of a phone call, task, e-mail or appointment."""

    type = forms.ChoiceField(
        label=_("Activity type"),
        choices=[
            (t.value, t.label)
            for t in (
                ActivityType.PHONE_CALL,
                ActivityType.TASK,
                ActivityType.EMAIL,
                ActivityType.APPOINTMENT,
            )
        ],
    )


class ActivityEditForm(ActivityFields):
    """An open activity read at `version`; its type stays, and only phone calls and e-mails
    have a direction."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, has_direction: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not has_direction:
            del self.fields["direction"]
        self.fields["description"].widget.attrs["rows"] = 6

    def changes(self) -> dict[str, Any]:
        """What the user changed, as the merge patch `activity_update` takes."""
        return {name: self.cleaned_data[name] for name in self.changed_data if name != "version"}


class CompleteForm(VersionForm):
    duration_minutes = TypedIntegerField(
        type_=Minutes, label=_("Actual duration (minutes)"), required=False, min_value=0
    )


class MessageForm(WebForm):
    text = TypedCharField(
        type_=MessageText,
        label=_("Text"),
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SimilarForm(WebForm):
    q = TypedCharField(type_=SearchText, label=_("Keywords"), required=False, max_length=200)
    subject = forms.ChoiceField(label=_("Subject"), required=False)
    include_subsubjects = forms.BooleanField(label=_("Include sub-subjects"), required=False)
    state = forms.ChoiceField(
        label=_("Cases"),
        required=False,
        choices=[
            ("resolved", _("Resolved cases")),
            ("active", _("Active cases")),
            ("any", _("All cases")),
        ],
    )

    def __init__(self, *args: Any, subjects: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["subject"], subjects)

    def clean_subject(self) -> uuid.UUID | None:
        value = self.cleaned_data.get("subject")
        return uuid.UUID(value) if value else None


class ConnectForm(WebForm):
    other = forms.UUIDField(widget=forms.HiddenInput)
    solution_found = forms.BooleanField(required=False)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input (the reply box's attachments)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class NoteForm(MessageForm):
    """A note, with files (docs/email.md#attachments)."""

    attachments = MultipleFileField(label=_("Attachments"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # `@` offers user names to mention (casedesk/web/static/casedesk/mention.js).
        self.fields["text"].widget.attrs["data-mention-url"] = reverse("web:user_mention_lookup")


def _addresses(value: str) -> list[str]:
    return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]


class EmailForm(WebForm):
    """An answer by e-mail from the case (docs/email.md#sending): the service checks the
    addresses and fills in what is left empty."""

    to = forms.CharField(
        label=_("To"),
        required=False,
        max_length=5000,
        help_text=_("Addresses separated by commas; empty: the customer."),
    )
    cc = forms.CharField(label=_("Cc"), required=False, max_length=5000)
    subject = TypedCharField(type_=Title, label=_("Subject"), required=False, max_length=200)
    text = TypedCharField(
        type_=MessageText,
        label=_("Message"),
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    def clean_to(self) -> list[str]:
        return _addresses(self.cleaned_data.get("to") or "")

    def clean_cc(self) -> list[str]:
        return _addresses(self.cleaned_data.get("cc") or "")
