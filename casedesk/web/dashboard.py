"""The dashboard's figures (the selectors' aggregates, labelled) and their server-rendered SVG
charts.

No script and no inline style: bars are <rect> elements coloured by CSS classes, and each
chart has a table with the same numbers for screen readers and for copying.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from django.utils.translation import gettext, pgettext

from casedesk.cases import selectors as case_selectors
from casedesk.cases.choices import STATUSES_BY_STATE, Priority, State, Status
from casedesk.core import clock
from casedesk.directory.models import User
from casedesk.entitlements import rules as entitlement_rules
from casedesk.entitlements import selectors as entitlement_selectors
from casedesk.routing import selectors as routing_selectors
from casedesk.sla import reports as sla_reports

DAYS = 14
NEAR_EXHAUSTION = 0.2
# Service levels (docs/service-levels.md#reports): compliance over the last 30 days, and the
# running KPIs whose failure time is within the next 8 hours or past.
COMPLIANCE_DAYS = 30
NEARING_WITHIN = dt.timedelta(hours=8)
NEARING_LIMIT = 10


@dataclass(frozen=True)
class Bar:
    label: str
    value: int | float
    css: str = ""


@dataclass(frozen=True)
class Series:
    label: str
    css: str
    values: list[int]


def open_by_status() -> list[Bar]:
    counts = case_selectors.active_case_counts(by="status")
    return [
        Bar(str(Status(s).label), counts.get(s, 0), f"status-{s}")
        for s in STATUSES_BY_STATE[State.ACTIVE]
    ]


def open_by_priority() -> list[Bar]:
    counts = case_selectors.active_case_counts(by="priority")
    return [Bar(str(p.label), counts.get(p.value, 0), f"prio-{p.value}") for p in Priority]


def created_and_resolved(days: int = DAYS) -> tuple[list[dt.date], list[Series]]:
    first = clock.today() - dt.timedelta(days=days - 1)
    created = case_selectors.case_counts_per_day(field="created_at", since=first)
    resolved = case_selectors.case_counts_per_day(field="resolved_at", since=first)
    dates = [first + dt.timedelta(days=i) for i in range(days)]
    return dates, [
        Series(pgettext("chart", "Created"), "series-created", [created.get(d, 0) for d in dates]),
        Series(
            pgettext("chart", "Resolved"), "series-resolved", [resolved.get(d, 0) for d in dates]
        ),
    ]


def queue_sizes(user: User) -> list[Bar]:
    return [Bar(name, n, "queue") for name, n in routing_selectors.queue_item_counts(user=user)]


def entitlements_near_exhaustion(limit: int = 10) -> list[dict[str, Any]]:
    """Active entitlements with at most a fifth of their terms left, the emptiest first."""
    return [
        {
            "entitlement": e,
            "share": max(0.0, e.left),  # type: ignore[attr-defined]
            "remaining": entitlement_rules.stored_to_terms(e.remaining_terms, e.allocation_type),
            "total": entitlement_rules.stored_to_terms(e.total_terms, e.allocation_type),
        }
        for e in entitlement_selectors.entitlements_near_exhaustion(
            share=NEAR_EXHAUSTION, limit=limit
        )
    ]


def sla_compliance(user: User) -> list[tuple[str, list[dict[str, Any]]]]:
    """KPIs met and missed over the last 30 days, by priority and by queue (each a titled
    table), with the share met as a percentage (None where nothing ended)."""
    now = clock.now()
    since = now - dt.timedelta(days=COMPLIANCE_DAYS)
    shown: list[tuple[str, list[dict[str, Any]]]] = []
    groupings: tuple[tuple[Literal["priority", "queue"], str], ...] = (
        ("priority", gettext("By priority")),
        ("queue", gettext("By queue")),
    )
    for by, title in groupings:
        groups = sla_reports.compliance(since=since, until=now, by=by, viewer=user)
        rows = [
            {
                "label": _group_label(group),
                "met": group.met,
                "missed": group.missed,
                "percent": None if group.share is None else round(100 * group.share),
            }
            for group in groups
            if by == "priority" or group.total
        ]
        shown.append((title, rows))
    return shown


def _group_label(group: sla_reports.Compliance) -> str:
    if group.key is None:
        return str(pgettext("queue", "No queue"))
    if group.key == "private":
        return str(pgettext("queue", "Private queues"))
    return group.label


def sla_nearing_breach() -> list[dict[str, Any]]:
    """The running KPIs nearest their failure time, with the working time left (negative:
    overdue)."""
    now = clock.now()
    left = sla_reports.TimeLeft()
    return [
        {"instance": instance, "case": instance.case, "left": left.of(instance, now)}
        for instance in sla_reports.nearing_breach(
            now=now, within=NEARING_WITHIN, limit=NEARING_LIMIT
        )
    ]


# --- SVG geometry -----------------------------------------------------------------------------


def hbars(bars: list[Bar]) -> dict[str, Any]:
    """A horizontal bar chart: one row per bar, its length in percent of the largest value.
    The labels and values are HTML text beside the bars (templates/web/_hbars.html), so they
    keep the page's size on any screen; only the bars are drawn (SVG, no style attribute)."""
    top = max([b.value for b in bars] + [1])
    rows = [
        {"bar": bar, "percent": max(round(100 * bar.value / top, 1), 0.5 if bar.value else 0)}
        for bar in bars
    ]
    return {"rows": rows}


def columns(dates: list[dt.date], series: list[Series]) -> dict[str, Any]:
    """Grouped columns per day (created beside resolved)."""
    height, bottom, width_total = 200, 4, 960
    top = max([v for s in series for v in s.values] + [1])
    group = width_total / max(len(dates), 1)
    width = max((group - 6) / max(len(series), 1), 2)
    bars = []
    for d_index, _date in enumerate(dates):
        for s_index, s in enumerate(series):
            value = s.values[d_index]
            h = round((height - bottom - 10) * value / top, 1)
            bars.append(
                {
                    "x": round(d_index * group + 3 + s_index * width, 1),
                    "y": round(height - bottom - h, 1),
                    "w": round(width - 1, 1),
                    "h": h,
                    "css": s.css,
                    "title": f"{s.label}: {value}",
                }
            )
    # The days under the columns are HTML text, one cell per day (every other day named when
    # there are more than seven), so they keep the page's size on a phone.
    ticks = [d if i % 2 == 0 or len(dates) <= 7 else None for i, d in enumerate(dates)]
    return {
        "bars": bars,
        "ticks": ticks,
        "width": width_total,
        "height": height,
        "axis_y": height - bottom,
        "max": top,
    }
