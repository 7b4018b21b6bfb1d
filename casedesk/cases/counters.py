"""The case counters (docs/cases.md#counters): how many cases there are of each state, status,
priority and owner (`CaseCount`), and how many were created and resolved each day
(`CaseDayCount`), kept by the case-write pipeline in the write's own transaction so that no
list or dashboard counts the case table.

Each write adds its deltas to one of `SHARDS` rows of each key, chosen at random, with one
`INSERT ... ON CONFLICT DO UPDATE SET n = n + delta` a table (PostgreSQL and SQLite alike);
concurrent writes to the same key then seldom wait on the same row. Readers sum the rows.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from types import SimpleNamespace
from typing import Any

from django.db import connection
from django.db.models import Q, Sum
from django.utils import timezone

from casedesk.cases.models import Case, CaseCount, CaseDayCount

SHARDS = 8

CountKey = tuple[str, str, str, str, uuid.UUID]  # state, status, priority, owner type, owner id
DayKey = tuple[str, dt.date]  # "created" or "resolved", day
CREATED = "created"
RESOLVED = "resolved"


def day_of(moment: dt.datetime | None) -> dt.date | None:
    """The day of `moment` in the site's time zone (the dashboard's days)."""
    if moment is None:
        return None
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


# The columns the counters read, and the audited changes that move a case between keys.
_COLUMNS = (
    "state",
    "status",
    "priority",
    "owner_user_id",
    "owner_team_id",
    "created_at",
    "resolved_at",
)
_COUNTED = frozenset({"state", "status", "priority", "owner", "resolved_at"})


def case_key(case: Any) -> CountKey:
    """The key of a case (or of its `_COLUMNS` loaded into a `SimpleNamespace`)."""
    if case.owner_user_id is not None:
        owner: tuple[str, uuid.UUID] = ("user", case.owner_user_id)
    else:
        assert case.owner_team_id is not None
        owner = ("team", case.owner_team_id)
    return (case.state, case.status, case.priority, *owner)


def _old_key(new: CountKey, changes: Mapping[str, list[Any]]) -> CountKey:
    """The key the case had before a write whose audited `changes` are given (API names)."""
    state, status, priority, owner_type, owner_id = new
    if "state" in changes:
        state = changes["state"][0]
    if "status" in changes:
        status = changes["status"][0]
    if "priority" in changes:
        priority = changes["priority"][0]
    if "owner" in changes and changes["owner"][0]:
        owner_type = changes["owner"][0]["type"]
        owner_id = uuid.UUID(str(changes["owner"][0]["id"]))
    return (state, status, priority, owner_type, owner_id)


def _old_resolved(case: Case, changes: Mapping[str, list[Any]]) -> dt.datetime | None:
    if "resolved_at" not in changes:
        return case.resolved_at
    old = changes["resolved_at"][0]
    return dt.datetime.fromisoformat(old) if old else None


class Deltas:
    """The changes a batch of writes makes to the counters."""

    def __init__(self) -> None:
        self.counts: Counter[CountKey] = Counter()
        self.days: Counter[DayKey] = Counter()

    def case_written(self, case: Case, *, created: bool, changes: Mapping[str, list[Any]]) -> None:
        new = case_key(case)
        new_resolved = day_of(case.resolved_at)
        if created:
            self.counts[new] += 1
            created_day = day_of(case.created_at)
            assert created_day is not None
            self.days[(CREATED, created_day)] += 1
            if new_resolved is not None:
                self.days[(RESOLVED, new_resolved)] += 1
            return
        old = _old_key(new, changes)
        if old != new:
            self.counts[old] -= 1
            self.counts[new] += 1
        old_resolved = day_of(_old_resolved(case, changes))
        if old_resolved != new_resolved:
            if old_resolved is not None:
                self.days[(RESOLVED, old_resolved)] -= 1
            if new_resolved is not None:
                self.days[(RESOLVED, new_resolved)] += 1

    def write(self) -> None:
        """Add the deltas to the counters, in key order (concurrent writers lock alike)."""
        shard = random.randrange(SHARDS)
        counts = sorted((k, n) for k, n in self.counts.items() if n)
        days = sorted((k, n) for k, n in self.days.items() if n)
        if counts:
            counter_rows_add(
                CaseCount,
                ("state", "status", "priority", "owner_type", "owner_id"),
                [(*key, shard, n) for key, n in counts],
            )
        if days:
            counter_rows_add(CaseDayCount, ("kind", "day"), [(*key, shard, n) for key, n in days])


def counter_rows_add(model: Any, key: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Add each row's `n` to its key's row, inserting the rows that do not exist yet: one
    statement. `rows` are `(*key, shard, n)`, in key order (the caller sorts them). Also the
    queue item counters' writer (`casedesk/routing/counters.py`)."""
    names = [*key, "shard", "n"]
    fields = [model._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    params: list[Any] = []
    values = []
    for row in rows:
        values.append("(" + ", ".join(["%s"] * len(names)) + ")")
        params.extend(
            f.get_db_prep_value(v, connection, prepared=False)
            for f, v in zip(fields, row, strict=True)
        )
    columns = ", ".join(quote(name) for name in names)
    target = ", ".join(quote(name) for name in [*key, "shard"])
    n = quote("n")
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES {', '.join(values)} "
        f"ON CONFLICT ({target}) DO UPDATE SET {n} = {table}.{n} + excluded.{n}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def counts_written(written: Sequence[tuple[Case, Any]]) -> None:
    """The pipeline's step: the counters follow the batch's `(case, CaseChange)` writes.

    Only the new cases and the writes whose audited changes move a case between keys count;
    a case read with only some columns (bulk routing) has the others read for the whole batch
    in one query, never one a case."""
    moved = [
        (case, change)
        for case, change in written
        if change.created or _COUNTED & change.changes.keys()
    ]
    if not moved:
        return
    missing = [case.pk for case, _ in moved if set(_COLUMNS) & case.get_deferred_fields()]
    loaded: dict[Any, SimpleNamespace] = {}
    if missing:
        for row in Case.objects.filter(pk__in=missing).values("pk", *_COLUMNS).order_by():
            loaded[row.pop("pk")] = SimpleNamespace(**row)
    deltas = Deltas()
    for case, change in moved:
        current: Any = case
        if case.pk in loaded:  # the columns the write set are in memory, the others as read
            found = loaded[case.pk]
            current = SimpleNamespace(
                **{
                    name: getattr(case if name not in case.get_deferred_fields() else found, name)
                    for name in _COLUMNS
                }
            )
        deltas.case_written(current, created=change.created, changes=change.changes)
    deltas.write()


# --- reads ----------------------------------------------------------------------------------


def case_count(
    *,
    state: str | None = None,
    status: str | None = None,
    priority: str | None = None,
    owner_type: str | None = None,
    owner_id: uuid.UUID | None = None,
) -> int:
    """How many cases match every dimension given (the sum of the matching counter rows)."""
    filters: dict[str, Any] = {}
    for name, value in (
        ("state", state),
        ("status", status),
        ("priority", priority),
        ("owner_type", owner_type),
        ("owner_id", owner_id),
    ):
        if value is not None:
            filters[name] = value
    total = CaseCount.objects.filter(**filters).aggregate(total=Sum("n"))["total"]
    return int(total or 0)


def state_counts(*, owner_type: str, owner_id: uuid.UUID) -> dict[str, tuple[int, int]]:
    """For each state, how many cases there are and how many of them the owner has: one
    query over the counters."""
    rows = (
        CaseCount.objects.values_list("state")
        .annotate(
            total=Sum("n"), owned=Sum("n", filter=Q(owner_type=owner_type, owner_id=owner_id))
        )
        .values_list("state", "total", "owned")
        .order_by()
    )
    return {state: (int(total or 0), int(owned or 0)) for state, total, owned in rows}


def case_counts_by(*, by: str, state: str) -> dict[str, int]:
    """How many cases of `state` there are of each value of `by` (status or priority)."""
    rows = (
        CaseCount.objects.filter(state=state)
        .values_list(by)
        .annotate(total=Sum("n"))
        .values_list(by, "total")
        .order_by()
    )
    return {value: int(total) for value, total in rows if total}


def day_counts(*, kind: str, since: dt.date) -> dict[dt.date, int]:
    """Cases created (or resolved) on each day from `since` (days with none are absent)."""
    rows = (
        CaseDayCount.objects.filter(kind=kind, day__gte=since)
        .values_list("day")
        .annotate(total=Sum("n"))
        .values_list("day", "total")
        .order_by()
    )
    return {day: int(total) for day, total in rows if total}


# --- rebuilding and checking ------------------------------------------------------------------


def real_counts() -> tuple[Counter[CountKey], Counter[DayKey]]:
    """The counts as the case table says (a full scan: for the check and the rebuild)."""
    counts: Counter[CountKey] = Counter()
    days: Counter[DayKey] = Counter()
    rows = Case.objects.values_list(*_COLUMNS).order_by()
    for values in rows.iterator(chunk_size=5000):
        case = SimpleNamespace(**dict(zip(_COLUMNS, values, strict=True)))
        counts[case_key(case)] += 1
        created_day = day_of(case.created_at)
        assert created_day is not None
        days[(CREATED, created_day)] += 1
        resolved_day = day_of(case.resolved_at)
        if resolved_day is not None:
            days[(RESOLVED, resolved_day)] += 1
    return counts, days


def stored_counts() -> tuple[Counter[CountKey], Counter[DayKey]]:
    counts: Counter[CountKey] = Counter()
    days: Counter[DayKey] = Counter()
    for state, status, priority, owner_type, owner_id, n in CaseCount.objects.values_list(
        "state", "status", "priority", "owner_type", "owner_id", "n"
    ).order_by():
        counts[(state, status, priority, owner_type, owner_id)] += n
    for kind, day, n in CaseDayCount.objects.values_list("kind", "day", "n").order_by():
        days[(kind, day)] += n
    return _nonzero(counts), _nonzero(days)


def _nonzero(counter: Counter[Any]) -> Counter[Any]:
    return Counter({k: n for k, n in counter.items() if n})


def counters_rebuild() -> None:
    """Replace the counters by the case table's counts (a repair; the data migration that
    filled them first keeps a frozen copy of this, as migrations do)."""
    CaseCount.objects.all().delete()
    CaseDayCount.objects.all().delete()
    counts, days = real_counts()
    CaseCount.objects.bulk_create(
        [
            CaseCount(
                state=k[0], status=k[1], priority=k[2], owner_type=k[3], owner_id=k[4], shard=0, n=n
            )
            for k, n in counts.items()
        ],
        batch_size=2000,
    )
    CaseDayCount.objects.bulk_create(
        [CaseDayCount(kind=k[0], day=k[1], shard=0, n=n) for k, n in days.items()],
        batch_size=2000,
    )
