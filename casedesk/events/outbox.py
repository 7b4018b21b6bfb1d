"""The outbox writer: one event per change, in the transaction of the change
(docs/webhooks.md#events), and for each event one delivery per webhook that wants it.

`case_events_write` takes the changes of a write as a batch and costs, however many cases the
batch holds, one read of the open queue items (none when every case is new) and then one
statement: on PostgreSQL for the events and their deliveries, on SQLite for the events (it
also says whether a webhook is active; only then are the webhooks read and the deliveries
inserted).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from django.db import connection
from django.db.models import Field

from casedesk.cases.models import Case
from casedesk.cases.services.activities import ActivityChange
from casedesk.cases.services.pipeline import CaseChange
from casedesk.core import clock
from casedesk.core.audit import jsonable
from casedesk.events.choices import ALL_EVENTS, EventType
from casedesk.events.locks import queued_job_join
from casedesk.events.models import Delivery, Event, Webhook
from casedesk.mail.hooks import EmailChange
from casedesk.routing.choices import QueueItemState
from casedesk.routing.models import QueueItem

# The event of each kind of case write (`CaseAction`, by value, so that a kind this table does
# not name yet is a plain update). Completing an activity changes the case's total time.
CASE_EVENT_TYPES: Mapping[str, EventType] = {
    "create": EventType.CASE_CREATED,
    "update": EventType.CASE_UPDATED,
    "assign": EventType.CASE_ASSIGNED,
    "queue": EventType.CASE_QUEUED,
    "route": EventType.CASE_ROUTED,
    "resolve": EventType.CASE_RESOLVED,
    "cancel": EventType.CASE_CANCELLED,
    "merge": EventType.CASE_MERGED,
    "reactivate": EventType.CASE_REACTIVATED,
    "activity_complete": EventType.CASE_UPDATED,
}
ACTIVITY_EVENT_TYPES: Mapping[str, EventType] = {
    "create": EventType.ACTIVITY_CREATED,
    "update": EventType.ACTIVITY_UPDATED,
    "complete": EventType.ACTIVITY_COMPLETED,
    "cancel": EventType.ACTIVITY_CANCELLED,
}


def case_event_type(action: str) -> EventType:
    return CASE_EVENT_TYPES.get(str(action), EventType.CASE_UPDATED)


def _ref(kind_a: str, id_a: Any, kind_b: str, id_b: Any) -> dict[str, str] | None:
    if id_a:
        return {"type": kind_a, "id": str(id_a)}
    if id_b:
        return {"type": kind_b, "id": str(id_b)}
    return None


# The case columns an event's summary reads (attribute names).
_SUMMARY_COLUMNS = (
    "number",
    "ticket_number",
    "title",
    "state",
    "status",
    "priority",
    "owner_user_id",
    "owner_team_id",
    "customer_account_id",
    "customer_contact_id",
    "contact_id",
    "version",
)


def _summary_columns(pairs: Iterable[tuple[Case, CaseChange]]) -> dict[Any, dict[str, Any]]:
    """The summary columns a batch's cases were loaded without (bulk routing loads only what
    it decides on), read in one query instead of one per case and column."""
    wanted = set(_SUMMARY_COLUMNS)
    missing = {case.pk: case.get_deferred_fields() & wanted for case, _change in pairs}
    columns = sorted(set().union(*missing.values())) if missing else []
    if not columns:
        return {}
    ids = [pk for pk, deferred in missing.items() if deferred]
    rows = Case.objects.filter(pk__in=ids).values("id", *columns)
    return {row.pop("id"): row for row in rows}


def case_summary(case: Case, queue_id: Any, loaded: dict[str, Any] | None = None) -> dict[str, Any]:
    """The compact snapshot of a case an event carries (never its description or secrets);
    `loaded`: columns the case was loaded without (`_summary_columns`)."""
    known = loaded or {}

    def value(name: str) -> Any:
        return known[name] if name in known else getattr(case, name)

    return {
        "id": str(case.pk),
        "number": value("number"),
        "ticket_number": value("ticket_number"),
        "title": value("title"),
        "state": value("state"),
        "status": value("status"),
        "priority": value("priority"),
        "owner": _ref("user", value("owner_user_id"), "team", value("owner_team_id")),
        "queue_id": str(queue_id) if queue_id else None,
        "customer": _ref(
            "account", value("customer_account_id"), "contact", value("customer_contact_id")
        ),
        "contact_id": str(value("contact_id")) if value("contact_id") else None,
        "version": value("version"),
    }


def _open_queues(pairs: Iterable[tuple[Case, CaseChange]]) -> dict[Any, Any]:
    """The queue of each case that is in one. A case being created is in none yet (it is
    placed in a queue by a later write), nor is a closed one."""
    ids = [case.pk for case, change in pairs if case.state == "active" and not change.created]
    if not ids:
        return {}
    rows = QueueItem.objects.filter(case_id__in=ids, state=QueueItemState.OPEN)
    return dict(rows.values_list("case_id", "queue_id"))


def case_events_write(pairs: Sequence[tuple[Case, CaseChange]]) -> list[Event]:
    """Write the event of each `(case, change)` of a write, in order, with its deliveries."""
    if not pairs:
        return []
    queues = _open_queues(pairs)
    loaded = _summary_columns(pairs)
    now = clock.now()
    events = [
        Event(
            type=case_event_type(change.action),
            occurred_at=now,
            case_id=case.pk,
            data={
                "case": case_summary(case, queues.get(case.pk), loaded.get(case.pk)),
                "action": str(change.action),
                "channel": str(change.channel),
                "actor_id": str(change.actor_id) if change.actor_id else None,
                "changes": jsonable(dict(change.changes)),
                "details": jsonable(dict(change.details)),
            },
        )
        for case, change in pairs
    ]
    return events_write(events)


def case_event_step(pairs: Sequence[tuple[Case, CaseChange]]) -> None:
    """The case-write pipeline's step: the events of a batch of writes, in one statement."""
    case_events_write(pairs)


def activity_summary(change: ActivityChange) -> dict[str, Any]:
    activity = change.activity
    return {
        "id": str(activity.pk),
        "case_id": str(activity.case_id),
        "type": activity.type,
        "subject": activity.subject,
        "state": activity.state,
        "direction": activity.direction,
        "owner": {"type": "user", "id": str(activity.owner_id)} if activity.owner_id else None,
        "version": activity.version,
    }


def activity_events_write(changes: Sequence[ActivityChange]) -> list[Event]:
    """Write the event of each activity change (the activity write hook)."""
    now = clock.now()
    events = [
        Event(
            type=ACTIVITY_EVENT_TYPES[change.action],
            occurred_at=now,
            case_id=change.activity.case_id,
            data={
                "activity": activity_summary(change),
                "action": change.action,
                "channel": str(change.channel),
                "actor_id": str(change.actor_id) if change.actor_id else None,
                "changes": jsonable(dict(change.changes)),
            },
        )
        for change in changes
        if change.action in ACTIVITY_EVENT_TYPES
    ]
    return events_write(events)


def email_event_write(change: EmailChange) -> list[Event]:
    """Write the event of an e-mail received, sent or failed (the e-mail hook, mail/hooks.py):
    who, to whom, the subject and the outcome, never the body."""
    event = Event(
        type=EventType(change.kind),
        occurred_at=clock.now(),
        case_id=change.case_id,
        data={
            "email": {
                "case_id": str(change.case_id) if change.case_id else None,
                "activity_id": str(change.activity_id) if change.activity_id else None,
                "message_id": change.message_id,
                "from": change.sender,
                "to": list(change.to),
                "cc": list(change.cc),
                "subject": change.subject,
                "status": change.status,
                "error": change.error,
            }
        },
    )
    return events_write([event])


def wants(subscribed: Sequence[str], event_type: str) -> bool:
    """Whether a webhook subscribed to `subscribed` wants events of `event_type`."""
    return ALL_EVENTS in subscribed or event_type in subscribed


def events_write(events: list[Event]) -> list[Event]:
    """Insert `events` (one statement) and a delivery of each to every active webhook that
    wants it; the worker is woken once the transaction commits. Must run inside the
    transaction of the change the events record."""
    if not events:
        return events
    if connection.vendor == "postgresql":
        if _events_write_postgresql(events):
            _wake_worker()
        return events
    if not _events_write_sqlite(events):
        return events
    webhooks = list(Webhook.objects.filter(active=True).values_list("id", "events"))
    now = events[0].occurred_at
    deliveries = [
        Delivery(
            webhook_id=webhook_id,
            event_id=event.pk,
            case_id=event.case_id,
            created_at=now,
            next_attempt_at=now,
        )
        for event in events
        for webhook_id, subscribed in webhooks
        if wants(subscribed, event.type)
    ]
    if deliveries:
        Delivery.objects.bulk_create(deliveries)
        _wake_worker()
    return events


# PostgreSQL: the events and their deliveries in one statement (one round trip per write):
# each inserted event is joined to the active webhooks that want its type.
_WRITE_POSTGRESQL = """
WITH e AS (
    INSERT INTO {event} (type, occurred_at, case_id, data) VALUES {values}
    RETURNING id, type, occurred_at, case_id
), d AS (
    INSERT INTO {delivery}
        (id, webhook_id, event_id, case_id, state, attempts, last_error, created_at,
         next_attempt_at)
    SELECT gen_random_uuid(), w.id, e.id, e.case_id, 'pending', 0, '', e.occurred_at,
           e.occurred_at
    FROM e JOIN {webhook} AS w
      ON w.active AND (w.events @> '["*"]'::jsonb OR w.events @> jsonb_build_array(e.type))
    RETURNING 1
)
SELECT (SELECT array_agg(id ORDER BY id) FROM e), (SELECT count(*) FROM d)
"""


def _events_write_postgresql(events: list[Event]) -> int:
    """Insert `events` and their deliveries; sets the events' ids and returns how many
    deliveries were made."""
    sql = _WRITE_POSTGRESQL.format(
        event=Event._meta.db_table,
        delivery=Delivery._meta.db_table,
        webhook=Webhook._meta.db_table,
        values=", ".join(["(%s, %s, %s, %s::jsonb)"] * len(events)),
    )
    params: list[Any] = []
    for event in events:
        params += [event.type, event.occurred_at, event.case_id, json.dumps(event.data)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids, made = cursor.fetchone()
    for event, pk in zip(events, ids, strict=True):
        event.pk = pk
    return int(made)


# SQLite: the events in one statement that also says whether any webhook is active, so a
# write costs one statement when none is (the deliveries are then made as on any engine).
_WRITE_SQLITE = """
INSERT INTO {event} (type, occurred_at, case_id, data) VALUES {values}
RETURNING id, EXISTS (SELECT 1 FROM {webhook} WHERE active)
"""
_EVENT_COLUMNS = ("type", "occurred_at", "case_id", "data")


def _events_write_sqlite(events: list[Event]) -> bool:
    """Insert `events` (setting their ids); whether any webhook is active."""
    fields = [cast(Field[Any, Any], Event._meta.get_field(name)) for name in _EVENT_COLUMNS]
    sql = _WRITE_SQLITE.format(
        event=Event._meta.db_table,
        webhook=Webhook._meta.db_table,
        values=", ".join(["(%s, %s, %s, %s)"] * len(events)),
    )
    params: list[Any] = []
    for event in events:
        params += [f.get_db_prep_save(getattr(event, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # RETURNING gives the rows in the order they were inserted, which is the order given.
    for event, (pk, _any) in zip(events, sorted(rows), strict=True):
        event.pk = pk
    return any(bool(active) for _pk, active in rows)


def _wake_worker() -> None:
    """Have a worker run the deliveries just made, once this transaction commits: join a
    delivery job already queued (`queued_job_join`), or queue one in the same transaction (no
    commit of its own, and nothing queued if the write rolls back)."""
    from casedesk.events.tasks import deliveries_task

    if not queued_job_join(task_path=deliveries_task.module_path):
        deliveries_task.enqueue()
