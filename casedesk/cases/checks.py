"""Invariants of the case lifecycle that `casedesk check` verifies (docs/cases.md,
docs/architecture.md#data-integrity)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from casedesk.cases.choices import STATUSES_BY_STATE, ActivityState, ActivityType, State, Status
from casedesk.cases.counters import real_counts, stored_counts
from casedesk.cases.models import Activity, Case, Note, Post
from casedesk.core.invariants import invariant

RESOLUTION = ActivityType.CASE_RESOLUTION


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


def _minutes(activities: QuerySet[Activity], field: str = "duration_minutes") -> Coalesce:
    """The sum of `field` over `activities` of the outer case, 0 when there are none."""
    total = (
        activities.filter(case_id=OuterRef("pk"))
        .order_by()
        .values("case_id")
        .annotate(total=Sum(field))
        .values("total")
    )
    return Coalesce(Subquery(total, output_field=IntegerField()), Value(0))


@invariant("case_one_live_resolution")
def one_live_resolution() -> Iterator[str]:
    """A resolved case has exactly one live (not superseded) resolution; other cases none."""
    live = Activity.objects.filter(type=RESOLUTION, superseded=False)
    counts = (
        live.filter(case_id=OuterRef("pk"))
        .order_by()
        .values("case_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    wrong = (
        Case.objects.filter(state=State.RESOLVED)
        .annotate(live=Coalesce(Subquery(counts, output_field=IntegerField()), Value(0)))
        .exclude(live=1)
    )
    for ticket, count in wrong.values_list("ticket_number", "live").iterator():
        yield f"{ticket}: resolved with {count} live resolutions"
    stray = live.exclude(case__state=State.RESOLVED).values_list("case__ticket_number", "id")
    for ticket, activity_id in stray.iterator():
        yield f"{ticket}: not resolved but resolution {activity_id} is live"
    bad = Activity.objects.filter(type=RESOLUTION).exclude(state=ActivityState.COMPLETED)
    for activity_id in bad.values_list("id", flat=True).iterator():
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
    total is its unbilled time and it bills nothing; every case's billed time is what its
    resolutions counted."""
    worked = Activity.objects.filter(state=ActivityState.COMPLETED).exclude(type=RESOLUTION)
    resolutions = Activity.objects.filter(type=RESOLUTION)
    live = resolutions.filter(case_id=OuterRef("pk"), superseded=False).order_by()
    cases = Case.objects.annotate(
        unbilled=_minutes(worked.filter(billed=False)),
        billed_time=_minutes(worked.filter(billed=True)),
        counted=_minutes(resolutions, "total_minutes"),
        live_total=Subquery(live.values("total_minutes")[:1]),
        live_billable=Subquery(live.values("billable_minutes")[:1]),
    )
    resolved_wrong = Q(state=State.RESOLVED, live_total__isnull=False) & (
        ~Q(total_minutes=F("live_total")) | ~Q(billable_minutes=F("live_billable"))
    )
    open_wrong = ~Q(state=State.RESOLVED) & (
        ~Q(total_minutes=F("unbilled")) | ~Q(billable_minutes=0)
    )
    billing_wrong = ~Q(billed_time=F("counted"))
    rows = cases.filter(resolved_wrong | open_wrong | billing_wrong).values_list(
        "ticket_number",
        "state",
        "total_minutes",
        "billable_minutes",
        "unbilled",
        "billed_time",
        "counted",
        "live_total",
        "live_billable",
    )
    for ticket, state, total, billable, unbilled, billed, counted, l_total, l_billable in rows:
        if state == State.RESOLVED and l_total is not None:
            if (total, billable) != (l_total, l_billable):
                yield (
                    f"{ticket}: totals {total}/{billable} differ from its resolution's "
                    f"{l_total}/{l_billable}"
                )
        elif state != State.RESOLVED and (total, billable) != (unbilled, 0):
            yield f"{ticket}: total {total}, billable {billable}, but {unbilled} unbilled"
        if billed != counted:
            yield f"{ticket}: {billed} billed minutes but its resolutions counted {counted}"
    bad = Activity.objects.filter(billed=True).exclude(state=ActivityState.COMPLETED)
    for activity_id in bad.values_list("id", flat=True).iterator():
        yield f"activity {activity_id} is billed but not completed"


@invariant("case_counters_match_the_cases")
def counters_match_the_cases() -> Iterator[str]:
    """The case counters (docs/cases.md#counters) equal the counts of the case table."""
    real_counts_, real_days = real_counts()
    stored, stored_days = stored_counts()
    for key in sorted(set(real_counts_) | set(stored), key=str):
        if real_counts_[key] != stored[key]:
            state, status, priority, owner_type, owner_id = key
            yield (
                f"{state}/{status}/{priority} cases of {owner_type} {owner_id}: "
                f"counted {stored[key]}, there are {real_counts_[key]}"
            )
    for day_key in sorted(set(real_days) | set(stored_days)):
        if real_days[day_key] != stored_days[day_key]:
            kind, day = day_key
            yield (
                f"cases {kind} on {day.isoformat()}: counted {stored_days[day_key]}, "
                f"there are {real_days[day_key]}"
            )
