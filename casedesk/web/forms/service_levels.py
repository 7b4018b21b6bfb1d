"""Forms of the service-level administration (docs/service-levels.md): business-hours
calendars, and SLAs with their items, conditions and actions."""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrPromise

from casedesk.cases.choices import Priority, Status
from casedesk.core.types import Name
from casedesk.sla.calendar import WEEKDAYS
from casedesk.sla.choices import ActionType, Kpi, NotifyTarget
from casedesk.sla.services.slas import MAX_MINUTES, PAUSABLE
from casedesk.web.fields import TypedCharField
from casedesk.web.forms.base import WebForm, set_choices
from casedesk.web.forms.conditions import ConditionRows

WEEKDAY_LABELS: dict[str, StrPromise] = {
    "mon": _("Monday"),
    "tue": _("Tuesday"),
    "wed": _("Wednesday"),
    "thu": _("Thursday"),
    "fri": _("Friday"),
    "sat": _("Saturday"),
    "sun": _("Sunday"),
}
_INTERVAL = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})\s*$")


@functools.cache
def _zones() -> list[tuple[str, str]]:
    """The IANA time zones by name (read from the system once: it scans the zone files)."""
    return [(z, z) for z in sorted(available_timezones()) if "/" in z or z == "UTC"]


def week_text(intervals: list[list[str]]) -> str:
    """`[["09:00", "13:00"], ["14:00", "18:00"]]` as `09:00-13:00, 14:00-18:00`."""
    return ", ".join(f"{start}-{end}" for start, end in intervals)


class CalendarForm(WebForm):
    name = TypedCharField(type_=Name, label=_("Name"), max_length=200)
    time_zone = forms.ChoiceField(label=_("Time zone"), initial="Europe/Rome")
    holidays = forms.CharField(
        label=_("Holidays"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One date a line, as 2026-12-25."),
    )
    holiday_country = forms.CharField(
        label=_("Public holidays of"),
        required=False,
        max_length=10,
        help_text=_(
            "A country code such as IT adds that country's public holidays; leave empty for none."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["time_zone"], _zones())
        for day in WEEKDAYS:
            self.fields[day] = forms.CharField(
                label=WEEKDAY_LABELS[day],
                required=False,
                max_length=500,
                help_text=_("Working hours as 09:00-13:00, 14:00-18:00; empty: a day off."),
            )

    def weekday_fields(self) -> list[Any]:
        return [self[day] for day in WEEKDAYS]

    def _intervals(self, day: str) -> list[list[str]]:
        text = (self.cleaned_data.get(day) or "").strip()
        out: list[list[str]] = []
        for part in [p for p in text.split(",") if p.strip()]:
            match = _INTERVAL.match(part)
            if match is None:
                raise forms.ValidationError(
                    _("Write each interval as 09:00-13:00, separated by commas.")
                )
            out.append([_padded(match.group(1)), _padded(match.group(2))])
        return out

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        week: dict[str, list[list[str]]] = {}
        for day in WEEKDAYS:
            try:
                week[day] = self._intervals(day)
            except forms.ValidationError as exc:
                self.add_error(day, exc)
        data["week"] = week
        dates: list[str] = []
        for line in (data.get("holidays") or "").splitlines():
            line = line.strip()
            if not line:
                continue
            try:
                dates.append(dt.date.fromisoformat(line).isoformat())
            except ValueError:
                self.add_error(
                    "holidays", _("%(line)s is not a date such as 2026-12-25.") % {"line": line}
                )
                break
        data["holiday_dates"] = dates
        return data

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "time_zone": data["time_zone"],
            "week": data["week"],
            "holidays": data["holiday_dates"],
            "holiday_country": (data.get("holiday_country") or "").strip().upper() or None,
        }


def _padded(text: str) -> str:
    hours, minutes = text.split(":")
    return f"{int(hours):02d}:{minutes}"


# --- SLAs -------------------------------------------------------------------------------------

ACTIONS_PER_LIST = 3

NOTIFY_LABELS: dict[str, StrPromise] = {
    NotifyTarget.OWNER: _("Notify the owner"),
    NotifyTarget.MANAGER: _("Notify the owner's managers"),
    NotifyTarget.QUEUE_MEMBERS: _("Notify the queue's members"),
}


def action_choices(queues: list[tuple[str, str]]) -> list[Any]:
    """Every action as one option: `notify:owner`, `set_priority:high`, `queue:<id>`."""
    notify = [(f"notify:{t.value}", str(NOTIFY_LABELS[t.value])) for t in NotifyTarget]
    priority = [
        (f"set_priority:{p.value}", str(_("Set the priority to %(p)s") % {"p": p.label}))
        for p in Priority
    ]
    move = [(f"queue:{pk}", str(_("Move to the queue %(q)s") % {"q": name})) for pk, name in queues]
    return [
        ("", "—"),
        (ActionType.NOTIFY.label, notify),
        (ActionType.SET_PRIORITY.label, priority),
        (ActionType.QUEUE.label, move),
    ]


def action_value(action: dict[str, Any]) -> str:
    """A stored action as its option."""
    kind = action.get("type")
    if kind == ActionType.NOTIFY:
        return f"notify:{action.get('to')}"
    if kind == ActionType.SET_PRIORITY:
        return f"set_priority:{action.get('value')}"
    return f"queue:{action.get('queue_id')}"


def _action(option: str) -> dict[str, Any]:
    kind, _sep, target = option.partition(":")
    key = {"notify": "to", "set_priority": "value", "queue": "queue_id"}[kind]
    return {"type": kind, key: target}


class SlaForm(WebForm):
    name = TypedCharField(type_=Name, label=_("Name"), max_length=200)
    is_default = forms.BooleanField(
        label=_("Default SLA"),
        required=False,
        help_text=_("Measures every case whose entitlement names no SLA of its own."),
    )
    pause_statuses = forms.MultipleChoiceField(
        label=_("Statuses that pause the clock"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["pause_statuses"], [(s, Status(s).label) for s in PAUSABLE])


class SlaItemForm(ConditionRows, WebForm):
    """One ordered item: a name, a KPI, up to three conditions (all must hold), a calendar,
    the warning and failure times and up to three actions on each."""

    name = TypedCharField(type_=Name, label=_("Item name"), max_length=200, required=False)
    kpi = forms.ChoiceField(label=_("KPI"), choices=[("", "—"), *Kpi.choices], required=False)
    calendar = forms.ChoiceField(label=_("Business hours"), required=False)
    warn_after_minutes = forms.IntegerField(
        label=_("Warning after (working minutes)"),
        required=False,
        min_value=1,
        max_value=MAX_MINUTES,
    )
    fail_after_minutes = forms.IntegerField(
        label=_("Failure after (working minutes)"),
        required=False,
        min_value=1,
        max_value=MAX_MINUTES,
    )

    def __init__(
        self,
        *args: Any,
        calendars: list[tuple[str, str]],
        actions: list[Any],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self.fields["calendar"], [("", _("Around the clock (24×7)")), *calendars])
        self.add_condition_fields()
        for prefix, label in (("w", _("On warning")), ("f", _("On failure"))):
            for i in range(ACTIONS_PER_LIST):
                self.fields[f"{prefix}{i}"] = forms.ChoiceField(
                    label=label, choices=actions, required=False
                )

    def warning_fields(self) -> list[Any]:
        return [self[f"w{i}"] for i in range(ACTIONS_PER_LIST)]

    def failure_fields(self) -> list[Any]:
        return [self[f"f{i}"] for i in range(ACTIONS_PER_LIST)]

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not data.get("name") and not data.get("kpi")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.is_blank():
            return data
        for name in ("name", "kpi", "warn_after_minutes", "fail_after_minutes"):
            if data.get(name) in (None, ""):
                self.add_error(name, _("This field is required."))
        return data

    def item(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The item as the service takes it, and where each of its places is on this form
        (`conditions.0.value` → `c2_value` when the first rows were left empty)."""
        data = self.cleaned_data
        places: dict[str, str] = {
            "name": "name",
            "kpi": "kpi",
            "calendar_id": "calendar",
            "warn_after_minutes": "warn_after_minutes",
            "fail_after_minutes": "fail_after_minutes",
        }
        conditions: list[dict[str, Any]] = []
        for i, condition in self.conditions():
            for part in ("field", "op", "value"):
                places[f"conditions.{len(conditions)}.{part}"] = f"c{i}_{part}"
            places[f"conditions.{len(conditions)}"] = f"c{i}_value"
            conditions.append(condition)
        lists: dict[str, list[dict[str, Any]]] = {}
        for key, prefix in (("on_warning", "w"), ("on_failure", "f")):
            lists[key] = []
            for i in range(ACTIONS_PER_LIST):
                option = data.get(f"{prefix}{i}")
                if not option:
                    continue
                position = len(lists[key])
                for part in ("", ".type", ".to", ".value", ".queue_id"):
                    places[f"{key}.{position}{part}"] = f"{prefix}{i}"
                lists[key].append(_action(option))
        item = {
            "name": data["name"],
            "kpi": data["kpi"],
            "conditions": conditions,
            "calendar_id": data.get("calendar") or None,
            "warn_after_minutes": data["warn_after_minutes"],
            "fail_after_minutes": data["fail_after_minutes"],
            **lists,
        }
        return item, places
