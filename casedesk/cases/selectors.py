"""Reads of cases: one place owns the joins, so every list costs a constant number of queries."""

from __future__ import annotations

import datetime as dt
import functools
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import connection, models
from django.db.models import (
    CharField,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    UUIDField,
)
from django.db.models.functions import Coalesce

from casedesk.cases import counters
from casedesk.cases.choices import State
from casedesk.cases.fields import FIELDS_IN_ORDER, REF, CaseField
from casedesk.cases.models import PRIORITY_RANK, Activity, Case, ServiceSettings
from casedesk.core.errors import NotFound
from casedesk.core.models import AuditEntry
from casedesk.core.statements import Statement
from casedesk.customers.models import Account, Contact
from casedesk.directory.models import Team, User, display_name_sql
from casedesk.routing.choices import QueueItemState
from casedesk.routing.models import QueueItem
from casedesk.routing.selectors import VisibleQueues
from casedesk.search.selectors import Narrowing, case_search_filter

CASE_RELATED = ("customer_account", "customer_contact", "owner_user", "owner_team")


# Building a query of cases with its joins and subqueries cost more CPU than compiling and
# running it (about 4 ms against 2 for one case). The bases are built once per process and
# every read starts from a clone of one; a base itself is never evaluated, so it holds no
# rows and no connection, and clones share nothing a request changes.


@functools.cache
def _case_base() -> QuerySet[Case]:
    open_item = QueueItem.objects.filter(case=OuterRef("pk"), state=QueueItemState.OPEN)
    return Case.objects.select_related(*CASE_RELATED).annotate(
        current_queue_id=Subquery(open_item.values("queue_id")[:1], output_field=UUIDField())
    )


def case_queryset() -> QuerySet[Case]:
    """Cases with what a case page and an answer show: customer, owner, current queue."""
    return _case_base().all()


@functools.cache
def _case_one_base() -> QuerySet[Case]:
    # One case is read to be shown in full: its contact (the case page's reply box) and its
    # customer contact's account (the customer panel) come in the same statement.
    return _case_base().select_related("contact", "customer_contact__account")


# A case as lists show it, read as plain rows: no model instances for the case, its customer
# and its owner (they cost most of a list page's CPU). Every field of the case
# (casedesk/cases/fields.py) by its column; a reference by its two columns and the name of the
# record it names, `ROW_NAMES`; the current queue by the annotation `current_queue_id`.
ROW_NAMES = {
    "customer_account": "customer_account__name",
    "customer_contact": "customer_contact__name",
    "owner_user": "owner_name",  # a subquery: see case_rows
    "owner_team": "owner_name",
}


def _row_columns(field: CaseField) -> tuple[str, ...]:
    if field.kind == REF:
        return tuple(
            dict.fromkeys(
                name for column in field.columns for name in (f"{column}_id", ROW_NAMES[column])
            )
        )
    return (field.attribute or f"current_{field.name}",)


CASE_ROW_FIELDS = tuple(name for field in FIELDS_IN_ORDER for name in _row_columns(field))


def case_rows(queryset: QuerySet[Case]) -> QuerySet[Case, dict[str, Any]]:
    """`queryset` (from `case_queryset` or `case_list`) as rows of `CASE_ROW_FIELDS`.

    The owner's name is a subquery, not a join: filtered by owner, a join would become an
    inner one that the planner may start from (the small user table), giving up the owner
    index's order and sorting all of the owner's cases."""
    user_name = User.objects.filter(pk=OuterRef("owner_user_id")).values(name=display_name_sql())
    team_name = Team.objects.filter(pk=OuterRef("owner_team_id")).values("name")
    owner_name = Coalesce(
        Subquery(user_name[:1], output_field=CharField()),
        Subquery(team_name[:1], output_field=CharField()),
    )
    return queryset.annotate(owner_name=owner_name).values(*CASE_ROW_FIELDS)


@functools.cache
def _rows_base() -> QuerySet[Case, dict[str, Any]]:
    return case_rows(_case_base())


def case_rows_of(keys: QuerySet[Any, Any]) -> QuerySet[Case, dict[str, Any]]:
    """The rows of the cases whose ids `keys` selects (a page's keys: `paginate(read=)`)."""
    return _rows_base().filter(pk__in=keys)


def case_row(case: Case, *, viewer: User | None) -> dict[str, Any]:
    """A case already in memory (read with `case_queryset`) as the same row, as `viewer` may
    see it (`case_rows_seen`)."""
    row: dict[str, Any] = {}
    for name in CASE_ROW_FIELDS:
        value: Any = case
        for part in name.split("__"):
            value = getattr(value, part, None) if value is not None else None
        row[name] = value
    owner = case.owner_user or case.owner_team
    row["owner_name"] = owner.display_name if isinstance(owner, User) else owner and owner.name
    return case_rows_seen([row], viewer=viewer)[0]


def case_rows_seen(rows: list[dict[str, Any]], *, viewer: User | None) -> list[dict[str, Any]]:
    """The rows (`CASE_ROW_FIELDS`) as `viewer` may see them: a case in a private queue the
    viewer may not see shows no queue (the private-queue rule, `VisibleQueues`). The rows are
    changed in place; `None` is the system, which sees every queue."""
    queues = VisibleQueues(viewer)
    for row in rows:
        row["current_queue_id"] = queues.shown(row["current_queue_id"])
    return rows


def case_seen(case: Case, *, viewer: User | None) -> Case:
    """The case (read with `case_queryset`) as `viewer` may see it: no current queue when the
    viewer may not see that queue. The case is changed in memory; never save it."""
    queue_id = getattr(case, "current_queue_id", None)
    case.current_queue_id = VisibleQueues(viewer).shown(queue_id)  # type: ignore[attr-defined]
    return case


# `CAS-01000-K7Q2M9`, `cas-01000`, `01000`, `1000`: a case by its ticket or its number
# (docs/web.md#finding-anything).
_TICKET = re.compile(r"^\s*(?:CAS-)?0*(\d{1,12})(?:-[A-Z0-9]{6})?\s*$", re.IGNORECASE)


def case_id_by_ticket(text: str) -> uuid.UUID | None:
    """The id of the case a ticket number or a case number names, or None."""
    match = _TICKET.match(text)
    if match is None:
        return None
    return Case.objects.filter(number=int(match.group(1))).values_list("id", flat=True).first()


# Compiled once per process (casedesk/core/statements.py). A slice, not `.first()`: the id is
# unique, and an ORDER BY over the joins is work for nothing.
_CASE_BY_ID = Statement[Case](lambda case_id: _case_one_base().filter(id=case_id)[:1])


def case_get(*, case_id: uuid.UUID) -> Case:
    found = _CASE_BY_ID.run(case_id=case_id)
    if not found:
        raise NotFound("No such case.")
    return found[0]


def case_get_row(*, case_id: uuid.UUID, viewer: User | None) -> dict[str, Any]:
    """`case_get` as a row of `CASE_ROW_FIELDS` (answers that only show the case), as
    `viewer` may see it (`case_rows_seen`)."""
    found = list(_rows_base().filter(id=case_id)[:1])
    if not found:
        raise NotFound("No such case.")
    return case_rows_seen(found, viewer=viewer)[0]


def case_identity(*, case_id: uuid.UUID) -> Case:
    """The case with only its id and number loaded (`not_found` when there is none): for
    reads that need no more than to know it exists and where it sorts."""
    case = Case.objects.only("id", "number").filter(id=case_id).first()
    if case is None:
        raise NotFound("No such case.")
    return case


@dataclass(frozen=True)
class CaseFilters:
    state: str | None = None
    status: str | None = None
    owner_id: uuid.UUID | None = None
    owner_type: str | None = None  # "user" or "team" when the caller knows; else looked up
    queue_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    subject_id: uuid.UUID | None = None
    parent_id: uuid.UUID | None = None
    search: str | None = None
    priority: str | None = None
    sla_status: str | None = None


@dataclass(frozen=True)
class CaseOrder:
    """A sort of the case list (docs/service-levels.md#on-a-case): its keys (ending with the
    primary key), the computed ones and the ones that may be null (sorted last)."""

    keys: tuple[str, ...]
    annotations: dict[str, Any] = field(default_factory=dict)
    nulls_last: frozenset[str] = frozenset()


class _LiteralCase(models.Case):
    """A CASE whose values are written into the SQL rather than bound as parameters. SQLite
    uses an expression index only for the very expression it holds, literals included, so a
    sort by the priority's rank with bound values read every active case and sorted them."""

    def as_sql(self, compiler: Any, connection: Any, *args: Any, **kwargs: Any) -> Any:
        sql, params = super().as_sql(compiler, connection, *args, **kwargs)
        # The values are the code's own constants (Priority's values and their ranks).
        literals = [
            str(int(p)) if isinstance(p, int) else "'" + str(p).replace("'", "''") + "'"
            for p in params
        ]
        return sql % tuple(literals), []


# The sort key the index `case_state_priority_idx` holds (casedesk/cases/models.py).
_PRIORITY_RANK = _LiteralCase(
    *PRIORITY_RANK.cases, default=PRIORITY_RANK.default, output_field=IntegerField()
)
CASE_ORDERS: dict[str, CaseOrder] = {
    "-created_at": CaseOrder(("-created_at", "-id")),
    "-modified_at": CaseOrder(("-modified_at", "-id")),
    "resolve_by": CaseOrder(("resolve_by", "id"), nulls_last=frozenset({"resolve_by"})),
    "first_response_by": CaseOrder(
        ("first_response_by", "id"), nulls_last=frozenset({"first_response_by"})
    ),
    "priority": CaseOrder(
        ("priority_rank", "-created_at", "-id"), annotations={"priority_rank": _PRIORITY_RANK}
    ),
}


def _owner_type(owner_id: uuid.UUID) -> str | None:
    if User.objects.filter(pk=owner_id).exists():
        return "user"
    if Team.objects.filter(pk=owner_id).exists():
        return "team"
    return None


def case_list(filters: CaseFilters, *, viewer: User | None) -> QuerySet[Case]:
    """Cases matching every filter given (a filter not given does not apply), as `viewer`
    may list them: filtered by a private queue the viewer may not see, none (as for a queue
    that does not exist). `None` is the system, which sees every queue. The rows still show
    every case's queue: pass them through `case_rows_seen`."""
    qs = case_queryset()
    if filters.queue_id and not VisibleQueues(viewer).shows(filters.queue_id):
        return qs.none()
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.priority:
        qs = qs.filter(priority=filters.priority)
    if filters.sla_status:
        qs = qs.filter(sla_status=filters.sla_status)
    if filters.owner_id:
        # One owner column, not both ORed: the list is then one range of that column's index,
        # already in the list's order, however many cases the owner has.
        kind = filters.owner_type or _owner_type(filters.owner_id)
        if kind == "user":
            qs = qs.filter(owner_user_id=filters.owner_id)
        elif kind == "team":
            qs = qs.filter(owner_team_id=filters.owner_id)
        else:
            qs = qs.none()
    if filters.customer_id:
        qs = qs.filter(
            Q(customer_account_id=filters.customer_id) | Q(customer_contact_id=filters.customer_id)
        )
    if filters.subject_id:
        qs = qs.filter(subject_id=filters.subject_id)
    if filters.parent_id:
        qs = qs.filter(parent_id=filters.parent_id)
    if filters.queue_id:
        qs = qs.filter(
            Exists(
                QueueItem.objects.filter(
                    case=OuterRef("pk"), queue_id=filters.queue_id, state=QueueItemState.OPEN
                )
            )
        )
    if filters.search and filters.search.strip():
        qs = _search(qs, filters)
    return qs


def _search(qs: QuerySet[Case], filters: CaseFilters) -> QuerySet[Case]:
    """The full-text branch: results keep the list's own order and keyset paging. With a
    customer, owner, queue or parent filter every such case is checked against the index;
    otherwise the newest matches (narrowed by state, status and subject inside the index,
    capped: casedesk/search/selectors.py LIST_CAP) are listed."""
    narrowing = Narrowing(
        states=[filters.state] if filters.state else [],
        statuses=[filters.status] if filters.status else [],
        subject_ids=[filters.subject_id] if filters.subject_id else [],
    )
    selective = bool(
        filters.owner_id or filters.queue_id or filters.customer_id or filters.parent_id
    )
    return case_search_filter(qs, filters.search or "", narrowing=narrowing, selective=selective)


def service_settings() -> ServiceSettings:
    """The service configuration, read fresh on every request (all workers agree)."""
    # Read by most writes: the plain statement costs a fifth of the built query.
    table = connection.ops.quote_name(ServiceSettings._meta.db_table)
    found = next(iter(ServiceSettings.objects.raw(f"SELECT * FROM {table} WHERE id = 1")), None)
    if found is None:  # a database created before the row existed
        found, _ = ServiceSettings.objects.get_or_create(id=1)
    return found


RECENT = 10


@dataclass(frozen=True)
class CustomerRecent:
    cases: list[Case]
    activities: list[Activity]


# What the web's customer panel shows of the recent cases and activities (`brief`).
BRIEF_CASE = ("id", "ticket_number", "title", "status", "created_at")
BRIEF_ACTIVITY = ("id", "case_id", "type", "subject", "state", "created_at")


def _newest(model: Any, column: str, fields: tuple[str, ...]) -> Statement[Any]:
    """The `RECENT` newest rows of `model` whose `column` is the customer, with `fields` only:
    compiled once per process (casedesk/core/statements.py)."""
    return Statement(
        lambda customer_id: (
            model.objects.filter(**{column: customer_id})
            .only(*fields)
            .order_by("-created_at", "-id")[:RECENT]
        )
    )


# The panel beside a case: a customer's newest cases and activities, by kind of customer.
_BRIEF = {
    kind: (
        _newest(Case, f"customer_{kind}_id", BRIEF_CASE),
        _newest(Activity, f"case__customer_{kind}_id", BRIEF_ACTIVITY),
    )
    for kind in ("account", "contact")
}


def customer_recent(*, customer: Account | Contact, brief: bool = False) -> CustomerRecent:
    """The customer's most recent cases and activities (the seed: shown when selected). The
    cases show every queue: show them through `case_row` or `case_seen` with their viewer.
    `brief`: the fields of `BRIEF_CASE` and `BRIEF_ACTIVITY` only, without owners, customers
    or queues (the panel beside a case)."""
    if brief:
        cases_of, activities_of = _BRIEF["account" if isinstance(customer, Account) else "contact"]
        return CustomerRecent(
            cases=cases_of.run(customer_id=customer.pk),
            activities=activities_of.run(customer_id=customer.pk),
        )
    by_customer = case_list(CaseFilters(customer_id=customer.pk), viewer=None)
    cases = list(by_customer.order_by("-created_at", "-id")[:RECENT])
    if isinstance(customer, Account):
        on_customer = Q(case__customer_account_id=customer.pk)
    else:
        on_customer = Q(case__customer_contact_id=customer.pk)
    activities = Activity.objects.filter(on_customer).select_related("owner")
    return CustomerRecent(
        cases=cases, activities=list(activities.order_by("-created_at", "-id")[:RECENT])
    )


def case_audit_list(*, case_id: uuid.UUID) -> QuerySet[AuditEntry]:
    """The case's audit entries with their actors (page them oldest first, by id). Show them
    through `case_audit_seen`."""
    return AuditEntry.objects.filter(entity_type="case", entity_id=case_id).select_related("actor")


def case_audit_seen(entries: list[AuditEntry], *, viewer: User | None) -> list[AuditEntry]:
    """The entries as `viewer` may see them: a private queue the viewer may not see is named
    as no queue (`None`) in their changes and details. The entries are changed in memory only;
    never save them."""
    queues = VisibleQueues(viewer)
    for entry in entries:
        queue_change = entry.changes.get("queue_id") if isinstance(entry.changes, dict) else None
        if isinstance(queue_change, list):
            entry.changes = {**entry.changes, "queue_id": [queues.shown(v) for v in queue_change]}
        if isinstance(entry.details, dict) and entry.details.get("queue_id") is not None:
            entry.details = {**entry.details, "queue_id": queues.shown(entry.details["queue_id"])}
    return entries


def active_case_counts(*, by: Literal["status", "priority"]) -> dict[str, int]:
    """How many active cases there are of each status or priority (values with none are
    absent), from the counters (docs/cases.md#counters), not the case table."""
    return counters.case_counts_by(by=by, state=State.ACTIVE)


def case_counts_per_day(
    *, field: Literal["created_at", "resolved_at"], since: dt.date
) -> dict[dt.date, int]:
    """Cases created (or resolved) on each day (in the site's time zone) from `since` (days
    with none are absent), from the counters."""
    kind = counters.CREATED if field == "created_at" else counters.RESOLVED
    return counters.day_counts(kind=kind, since=since)


def case_state_counts(*, owner: User) -> dict[str, tuple[int, int]]:
    """For each state, how many cases there are and how many `owner` owns (the list's view
    tabs, which every viewer lists in full), from the counters in one query."""
    return counters.state_counts(owner_type="user", owner_id=owner.pk)


def case_view_count(filters: CaseFilters, *, viewer: User | None) -> int | None:
    """How many cases `case_list(filters, viewer=viewer)` lists, when the counters can tell
    (filters of state, status, priority and owner only: the list then restricts nothing for any
    viewer, the private-queue rule applying only to a queue filter); None otherwise, as
    counting would scan the case table."""
    if (
        filters.queue_id
        or filters.customer_id
        or filters.subject_id
        or filters.parent_id
        or filters.sla_status
        or (filters.search and filters.search.strip())
    ):
        return None
    owner_type = None
    if filters.owner_id:
        owner_type = filters.owner_type or _owner_type(filters.owner_id)
        if owner_type is None:
            return 0
    return counters.case_count(
        state=filters.state,
        status=filters.status,
        priority=filters.priority,
        owner_type=owner_type,
        owner_id=filters.owner_id,
    )


def case_count_upto(filters: CaseFilters, *, viewer: User | None, cap: int) -> tuple[int, bool]:
    """How many cases `case_list(filters, viewer=viewer)` lists: exact from the counters when
    they can tell (`case_view_count`), else counted up to `cap` — `(cap, True)` when there
    are more, so that a count never reads more than `cap + 1` rows."""
    exact = case_view_count(filters, viewer=viewer)
    if exact is not None:
        return exact, False
    found = case_list(filters, viewer=viewer).order_by().values("id")[: cap + 1].count()
    return (cap, True) if found > cap else (found, False)


def cases_found(
    text: str, *, viewer: User, limit: int, customer_id: uuid.UUID | None = None
) -> tuple[list[Case], list[Case]]:
    """What the search boxes find for `text` (docs/web.md#finding-anything): cases of every
    state whose words match, most recently changed first, at most `limit`, and the case a
    ticket or case number in `text` names, first when not among them. With `customer_id`,
    that customer's cases come apart, first: `(the customer's, the others)`; without it the
    first list is empty."""
    found = case_id_by_ticket(text)
    theirs: list[Case] = []
    if customer_id is not None:
        mine = case_list(CaseFilters(search=text, customer_id=customer_id), viewer=viewer)
        theirs = list(mine.order_by("-modified_at", "-id")[:limit])
    listed = case_list(CaseFilters(search=text), viewer=viewer)
    if theirs:
        listed = listed.exclude(pk__in=[c.pk for c in theirs])
    others = list(listed.order_by("-modified_at", "-id")[:limit])
    if found is not None and all(c.pk != found for c in theirs + others):
        case = case_get(case_id=found)
        named = customer_id is not None and customer_id in (
            case.customer_account_id,
            case.customer_contact_id,
        )
        (theirs if named else others).insert(0, case)
    return theirs, others
