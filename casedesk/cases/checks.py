"""Invariants of the case lifecycle that `casedesk check` verifies (SPEC §3–§7)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from django.db.models import Count, Q, Sum

from casedesk.cases.choices import STATUSES_BY_STATE, ActivityState, ActivityType, State, Status
from casedesk.cases.models import Activity, Case, Note, Post
from casedesk.core.invariants import invariant

RESOLUTION = ActivityType.CASE_RESOLUTION


def _label(case_id: Any, tickets: Mapping[Any, str]) -> str:
    return tickets.get(case_id) or str(case_id)


@invariant("case_status_matches_state")
def status_matches_state() -> Iterator[str]:
    """Each status belongs to its state; `merged_into` only on merged cases; closed cases have
    no open queue, resolved ones a resolution time."""
    condition = Q()
    for state, statuses in STATUSES_BY_STATE.items():
        condition |= Q(state=state, status__in=list(statuses))
    for case in Case.objects.exclude(condition).values("ticket_number", "state", "status"):
        yield f"{case['ticket_number']}: status {case['status']} is not a {case['state']} status"
    merged = Case.objects.filter(
        Q(status=Status.MERGED, merged_into__isnull=True)
        | Q(merged_into__isnull=False) & ~Q(status=Status.MERGED)
    )
    for ticket in merged.values_list("ticket_number", flat=True):
        yield f"{ticket}: merged status and merged_into disagree"
    unresolved = Case.objects.filter(
        Q(state=State.RESOLVED, resolved_at__isnull=True)
        | ~Q(state=State.RESOLVED) & Q(resolved_at__isnull=False)
    )
    for ticket in unresolved.values_list("ticket_number", flat=True):
        yield f"{ticket}: resolved_at does not match the state"


@invariant("case_one_live_resolution")
def one_live_resolution() -> Iterator[str]:
    """A resolved case has exactly one live (not superseded) resolution; other cases none."""
    live = dict(
        Activity.objects.filter(type=RESOLUTION, superseded=False)
        .values_list("case_id")
        .annotate(n=Count("id"))
        .values_list("case_id", "n")
    )
    resolved = set(Case.objects.filter(state=State.RESOLVED).values_list("id", flat=True))
    tickets = dict(
        Case.objects.filter(id__in=resolved | set(live)).values_list("id", "ticket_number")
    )
    for case_id in resolved:
        if live.get(case_id, 0) != 1:
            count = live.get(case_id, 0)
            yield f"{_label(case_id, tickets)}: resolved with {count} live resolutions"
    for case_id, count in live.items():
        if case_id not in resolved:
            yield f"{_label(case_id, tickets)}: not resolved but has {count} live resolution(s)"
    bad = Activity.objects.filter(type=RESOLUTION).exclude(state=ActivityState.COMPLETED)
    for activity_id in bad.values_list("id", flat=True):
        yield f"resolution {activity_id} is not completed"


@invariant("case_merged_owns_nothing")
def merged_owns_nothing() -> Iterator[str]:
    """A merged case's activities, notes, posts and children moved to its master."""
    merged = Case.objects.filter(status=Status.MERGED)
    for model, what in ((Activity, "activities"), (Note, "notes"), (Post, "posts")):
        rows = (
            model.objects.filter(case__in=merged)  # type: ignore[attr-defined]
            .values_list("case__ticket_number")
            .annotate(n=Count("id"))
            .values_list("case__ticket_number", "n")
        )
        for ticket, count in rows:
            yield f"{ticket}: merged but owns {count} {what}"
    children = (
        Case.objects.filter(parent__in=merged)
        .values_list("parent__ticket_number")
        .annotate(n=Count("id"))
        .values_list("parent__ticket_number", "n")
    )
    for ticket, count in children:
        yield f"{ticket}: merged but has {count} child cases"


@invariant("case_one_level_of_children")
def one_level_of_children() -> Iterator[str]:
    """No child case has children, and no case is its own ancestor."""
    grandchildren = Case.objects.filter(parent__parent__isnull=False)
    for ticket, parent in grandchildren.values_list("ticket_number", "parent__ticket_number"):
        yield f"{ticket}: its parent {parent} is itself a child case"


@invariant("case_totals_match_billing")
def totals_match_billing() -> Iterator[str]:
    """A resolved case's totals are those of its live resolution; an active or cancelled case's
    total is its unbilled time; every case's billed time is what its resolutions counted."""
    live = {
        row["case_id"]: row
        for row in Activity.objects.filter(type=RESOLUTION, superseded=False).values(
            "case_id", "total_minutes", "billable_minutes"
        )
    }
    unbilled: dict[object, int] = defaultdict(int)
    billed: dict[object, int] = defaultdict(int)
    rows = (
        Activity.objects.filter(state=ActivityState.COMPLETED)
        .exclude(type=RESOLUTION)
        .values("case_id", "billed")
        .annotate(total=Sum("duration_minutes"))
    )
    for row in rows:
        target = billed if row["billed"] else unbilled
        target[row["case_id"]] += int(row["total"] or 0)
    counted: dict[object, int] = defaultdict(int)
    for case_id, total in Activity.objects.filter(type=RESOLUTION).values_list(
        "case_id", "total_minutes"
    ):
        counted[case_id] += int(total or 0)
    cases = Case.objects.values_list(
        "id", "ticket_number", "state", "total_minutes", "billable_minutes"
    )
    for case_id, label, state, total, billable in cases.iterator(chunk_size=2000):
        if state == State.RESOLVED:
            resolution = live.get(case_id)
            if resolution is not None and (total, billable) != (
                resolution["total_minutes"],
                resolution["billable_minutes"],
            ):
                yield (
                    f"{label}: totals {total}/{billable} differ from its resolution's "
                    f"{resolution['total_minutes']}/{resolution['billable_minutes']}"
                )
        elif total != unbilled.get(case_id, 0) or billable != 0:
            yield (
                f"{label}: total {total} (billable {billable}) but its unbilled time is "
                f"{unbilled.get(case_id, 0)}"
            )
        if billed.get(case_id, 0) != counted.get(case_id, 0):
            yield (
                f"{label}: {billed.get(case_id, 0)} billed minutes but its resolutions counted "
                f"{counted.get(case_id, 0)}"
            )
    bad = Activity.objects.filter(billed=True).exclude(state=ActivityState.COMPLETED)
    for activity_id in bad.values_list("id", flat=True):
        yield f"activity {activity_id} is billed but not completed"
