"""The form of a mailbox (administration)."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from casedesk.cases.services.common import Ref
from casedesk.core.types import Count, Email, Name, ShortText
from casedesk.mail.choices import Security
from casedesk.mail.services.mailboxes import ImapSettings
from casedesk.web.fields import TypedCharField, TypedIntegerField
from casedesk.web.forms.base import WebForm, set_choices

PIPE = "pipe"
IMAP = "imap"


class MailboxForm(WebForm):
    name = TypedCharField(type_=Name, label=_("Name"), max_length=200)
    address = TypedCharField(type_=Email, label=_("Address"), max_length=254)
    owner = forms.ChoiceField(label=_("Owner of new cases"))
    queue = forms.ChoiceField(label=_("Queue of new cases"), required=False)
    arrival = forms.ChoiceField(
        label=_("How mail arrives"),
        choices=[(IMAP, _("IMAP polling")), (PIPE, _("Delivered by the mail server (pipe)"))],
        widget=forms.RadioSelect,
        initial=IMAP,
    )
    imap_host = TypedCharField(type_=ShortText, label=_("IMAP server"), required=False)
    imap_port = TypedIntegerField(type_=Count, label=_("Port"), required=False)
    imap_security = forms.ChoiceField(
        label=_("Security"), choices=Security.choices, initial=Security.SSL
    )
    imap_username = TypedCharField(type_=ShortText, label=_("User name"), required=False)
    imap_password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the stored password."),
    )
    imap_folder = TypedCharField(
        type_=ShortText, label=_("Folder"), required=False, initial="INBOX"
    )
    poll_seconds = TypedIntegerField(type_=Count, label=_("Poll every (seconds)"), initial=60)
    reopen_days = TypedIntegerField(
        type_=Count, label=_("Reopen resolved cases within (days)"), initial=7
    )
    auto_acknowledge = forms.BooleanField(label=_("Acknowledge new cases"), required=False)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(
        self,
        *args: Any,
        owners: list[tuple[str, str]],
        queues: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["owner"], owners)
        set_choices(self.fields["queue"], [("", "—"), *queues])

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        kind, _sep, owner_id = data["owner"].partition(":")
        imap = None
        if data["arrival"] == IMAP:
            imap = ImapSettings(
                host=data["imap_host"] or "",
                port=data["imap_port"],
                security=data["imap_security"],
                username=data["imap_username"] or "",
                password=data["imap_password"] or None,
                folder=data["imap_folder"] or "INBOX",
            )
        return {
            "name": data["name"],
            "address": data["address"],
            "owner": Ref(kind, uuid.UUID(owner_id)),
            "queue_id": uuid.UUID(data["queue"]) if data["queue"] else None,
            "imap": imap,
            "poll_seconds": data["poll_seconds"],
            "reopen_days": data["reopen_days"],
            "auto_acknowledge": data["auto_acknowledge"],
            "active": data["active"],
        }
