"""Import cases in bulk: the history of another help desk, thousands of cases at a time.

Every row is checked first (`import_rows`: the rules of case creation and what history
needs), then the rows are written set-wise (`casedesk.core.bulk`), one transaction per batch:
ticket numbers, cases and resolution activities, then the case-write pipeline's batch
(`pipeline.case_writes_finish`) finishes the new cases: one audit entry per case and the
search documents. Imported cases consume no entitlement terms and get no system posts
(docs/operations.md).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction

from casedesk.cases.choices import ActivityState, ActivityType, CaseAction
from casedesk.cases.models import Activity, Case, CaseNumber
from casedesk.cases.services.common import FIRST_NUMBER, TICKET_ALPHABET
from casedesk.cases.services.import_rows import (
    CaseImportRow,
    CheckedRow,
    Line,
    RowProblem,
    check_references,
    check_row,
    refusal,
    row_field,
)
from casedesk.cases.services.lifecycle import SUBJECT_MAX
from casedesk.cases.services.pipeline import CaseWrite, case_writes_finish
from casedesk.core import clock
from casedesk.core.bulk import BulkInsert
from casedesk.core.choices import Channel
from casedesk.core.errors import Forbidden, ValidationFailed
from casedesk.directory.access import require_role
from casedesk.directory.choices import Role
from casedesk.directory.models import User
from casedesk.search.documents import CaseDocument, case_texts

__all__ = [
    "DEFAULT_BATCH",
    "MAX_BATCH",
    "CaseImportRow",
    "CasesImported",
    "ImportedCase",
    "Line",
    "RowProblem",
    "cases_import",
]

DEFAULT_BATCH = 2000
MAX_BATCH = 10_000
IMPORTED = {"imported": True}


@dataclass(frozen=True, slots=True)
class ImportedCase:
    row: int
    id: uuid.UUID
    number: int
    ticket_number: str


@dataclass
class CasesImported:
    cases: list[ImportedCase] = field(default_factory=list)
    skipped: list[RowProblem] = field(default_factory=list)


def _require_importer(actor: User, channel: str) -> None:
    """The command line (an operator on the server) lets managers and administrators import;
    the API, reachable with any token, only administrators."""
    if not actor.is_active:
        raise Forbidden("The acting user is not active.")
    if channel == Channel.API:
        require_role(actor, Role.ADMIN, "Only administrators import cases through the API.")
    else:
        require_role(actor, Role.MANAGER, "Only managers and administrators import cases.")


def _reserve_numbers(count: int) -> list[int]:
    """`count` new case numbers from the ticket sequence, in the caller's transaction."""
    table = CaseNumber._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT nextval(pg_get_serial_sequence('{table}', 'id'))"
                " FROM generate_series(1, %s)",
                [count],
            )
            ids = sorted(int(r[0]) for r in cursor.fetchall())
        else:
            # The transaction holds SQLite's write lock (IMMEDIATE): nobody else takes numbers
            # until it ends. AUTOINCREMENT keeps the highest id ever handed out.
            cursor.execute(
                f"SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = '{table}'),"
                f" 0), coalesce((SELECT max(id) FROM {table}), 0))"
            )
            top = int(cursor.fetchone()[0])
            ids = list(range(top + 1, top + count + 1))
    BulkInsert(CaseNumber, ["id"]).write([(i,) for i in ids])
    return [i + FIRST_NUMBER - 1 for i in ids]


# os.urandom bytes below 252 (7 × 36) map onto the 36 characters without bias; the rest go.
_TICKET_BYTES = bytes(ord(TICKET_ALPHABET[b % 36]) if b < 252 else 0 for b in range(256))
_UNEVEN = bytes(range(252, 256))


def _tickets(numbers: list[int]) -> list[str]:
    """New ticket numbers `CAS-<number>-<6 random [A-Z0-9]>`, like `common.next_ticket`, from
    the system's random source, a few draws for the whole batch."""
    need = 6 * len(numbers)
    chars = b""
    while len(chars) < need:
        chars += os.urandom(need - len(chars) + 16).translate(_TICKET_BYTES, _UNEVEN)
    text = chars.decode("ascii")
    return [f"CAS-{n:05d}-{text[6 * i : 6 * i + 6]}" for i, n in enumerate(numbers)]


CASE_FIELDS = (
    "id",
    "number",
    "ticket_number",
    "title",
    "description",
    "customer_account_id",
    "customer_contact_id",
    "contact_id",
    "subject_id",
    "product_id",
    "origin",
    "case_type",
    "priority",
    "stage",
    "state",
    "status",
    "owner_user_id",
    "owner_team_id",
    "billable_minutes",
    "created_at",
    "modified_at",
    "resolved_at",
)
# What every imported case shares: version 1, no family, entitlement or contract line, terms
# decremented as usual should one be set later, no time worked.
CASE_CONSTANTS = {
    "version": 1,
    "parent_id": None,
    "merged_into_id": None,
    "entitlement_id": None,
    "decrement_entitlement_terms": True,
    "contract_line_id": None,
    "total_minutes": 0,
}
RESOLUTION_FIELDS = (
    "id",
    "case_id",
    "subject",
    "description",
    "owner_id",
    "created_at",
    "closed_at",
    "resolution_type",
    "billable_minutes",
)
RESOLUTION_CONSTANTS = {
    "type": ActivityType.CASE_RESOLUTION,
    "state": ActivityState.COMPLETED,
    "total_minutes": 0,
    "superseded": False,
    "billed": False,
    "version": 1,
}


def _str(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


def _changes(r: CheckedRow, owner_type: str, owner_id: Any) -> dict[str, list[Any]]:
    """What `case_audit` records for a new case: `[None, value]` for each field of
    `case_snapshot` that has a value."""
    snapshot: dict[str, Any] = {
        "title": r.title,
        "description": r.description,
        "customer": {"type": r.customer_type, "id": str(r.customer_id)},
        "contact_id": _str(r.contact_id),
        "subject_id": _str(r.subject_id),
        "product_id": _str(r.product_id),
        "origin": r.origin,
        "case_type": r.case_type,
        "priority": r.priority,
        "stage": r.stage,
        "state": r.state,
        "status": r.status,
        "owner": {"type": owner_type, "id": str(owner_id)},
        "parent_id": None,
        "merged_into_id": None,
        "entitlement_id": None,
        "decrement_entitlement_terms": True,
        "contract_line_id": None,
        "total_minutes": 0,
        "billable_minutes": r.billable_minutes,
        "resolved_at": r.resolved_at.isoformat() if r.resolved_at else None,
    }
    return {key: [None, value] for key, value in snapshot.items() if value is not None}


@dataclass(frozen=True, slots=True)
class _Prepared:
    """What writing a row costs in Python and does not depend on its case number: the indexed
    text of its search document, its audit changes, and the case as the case-write pipeline
    will be given it (its id drawn here, its number set when reserved)."""

    texts: tuple[str, str, str]
    changes: dict[str, list[Any]]
    case: Case


def _owner(r: CheckedRow, actor_id: Any) -> tuple[str, Any]:
    return (r.owner_type, r.owner_id) if r.owner_type and r.owner_id else ("user", actor_id)


def _prepare(rows: list[CheckedRow], actor_id: Any) -> list[_Prepared]:
    """Plain Python, no database: may run in a thread while the previous batch is written."""
    return [
        _Prepared(
            texts=case_texts(title=r.title, description=r.description, resolution=r.resolution),
            changes=_changes(r, *_owner(r, actor_id)),
            case=_inserted(r),
        )
        for r in rows
    ]


def _write(
    *, actor: User, rows: list[CheckedRow], prepared: list[_Prepared], channel: str
) -> list[ImportedCase]:
    """Write one batch of checked rows, in the caller's transaction. The rows of each table
    are generated while they are written (`BulkInsert` streams them)."""
    given = [r.ticket_number for r in rows if r.ticket_number is not None]
    if given:  # taken since the check, by another writer
        taken = set(
            Case.objects.filter(ticket_number__in=given).values_list("ticket_number", flat=True)
        )
        for r in rows:
            if r.ticket_number in taken:
                raise refusal(RowProblem(r.row, {"ticket_number": "is already taken"}, r.kind))
    numbers = _reserve_numbers(len(rows))
    out = [
        ImportedCase(row=r.row, id=ready.case.pk, number=number, ticket_number=r.ticket_number or t)
        for r, ready, number, t in zip(rows, prepared, numbers, _tickets(numbers), strict=True)
    ]
    for ready, number in zip(prepared, numbers, strict=True):
        ready.case.number = number
    pairs = [(r, case, _owner(r, actor.pk)) for r, case in zip(rows, out, strict=True)]
    docs = [
        CaseDocument(
            number=case.number,
            case_id=case.id,
            state=r.state,
            status=r.status,
            subject_id=r.subject_id,
            title=ready.texts[0],
            resolution=ready.texts[1],
            description=ready.texts[2],
        )
        for r, case, ready in zip(rows, out, prepared, strict=True)
    ]

    def case_rows() -> Iterator[tuple[Any, ...]]:
        for r, case, (owner_type, owner_id) in pairs:
            yield (
                case.id,
                case.number,
                case.ticket_number,
                r.title,
                r.description,
                r.customer_id if r.customer_type == "account" else None,
                r.customer_id if r.customer_type == "contact" else None,
                r.contact_id,
                r.subject_id,
                r.product_id,
                r.origin,
                r.case_type,
                r.priority,
                r.stage,
                r.state,
                r.status,
                owner_id if owner_type == "user" else None,
                owner_id if owner_type == "team" else None,
                r.billable_minutes,
                r.created_at,
                r.resolved_at or r.created_at,
                r.resolved_at,
            )

    created_by = {"created_by_id": actor.pk}
    BulkInsert(Case, CASE_FIELDS, {**CASE_CONSTANTS, **created_by}).write(case_rows())
    BulkInsert(Activity, RESOLUTION_FIELDS, {**RESOLUTION_CONSTANTS, **created_by}).write(
        (
            uuid.uuid4(),
            case.id,
            r.resolution[:SUBJECT_MAX],
            r.resolution,
            owner_id if owner_type == "user" else None,
            r.resolved_at,
            r.resolved_at,
            r.status,
            r.billable_minutes,
        )
        for r, case, (owner_type, owner_id) in pairs
        if r.resolution is not None
    )
    case_writes_finish(
        writes=[
            (
                ready.case,
                CaseWrite(
                    action=CaseAction.CREATE,
                    before=None,
                    details=IMPORTED,
                    changes=ready.changes,
                    save=False,
                    document=doc,
                ),
            )
            for ready, doc in zip(prepared, docs, strict=True)
        ],
        actor=actor,
        channel=channel,
    )
    return out


# The columns of an inserted case that the pipeline's steps read (the ledger: no entitlement,
# no contract line; the service levels: the times, the state and the fields SLA conditions most
# often read), in the model's order (`Case.from_db`); the others are left deferred, as a query
# with `only()` would leave them (a step that needs one reads it for the whole batch).
_READ = {
    "id",
    "number",
    "state",
    "status",
    "entitlement_id",
    "contract_line_id",
    "version",
    "created_at",
    "resolved_at",
    "first_response_at",
    "sla_id",
    "priority",
    "origin",
    "case_type",
    "subject_id",
    "product_id",
}
_INSERTED = [f.attname for f in Case._meta.concrete_fields if f.attname in _READ]
_LOADED = frozenset(_INSERTED)  # what `from_db` asks of every column: a set answers faster


def _inserted(r: CheckedRow) -> Case:
    """The case as it will be inserted, for the case-write pipeline (which does not save it
    again); a new id, its number still to be set."""
    values = {
        "id": uuid.uuid4(),
        "number": None,
        "state": r.state,
        "status": r.status,
        "entitlement_id": None,
        "contract_line_id": None,
        "version": 1,
        "created_at": r.created_at,
        "resolved_at": r.resolved_at,
        "first_response_at": None,
        "sla_id": None,
        "priority": r.priority,
        "origin": r.origin,
        "case_type": r.case_type,
        "subject_id": r.subject_id,
        "product_id": r.product_id,
    }
    return Case.from_db(None, _LOADED, [values[name] for name in _INSERTED])


def cases_import(
    *,
    actor: User,
    rows: Iterable[Mapping[str, Any] | CaseImportRow | Line],
    channel: str = Channel.API,
    batch_size: int = DEFAULT_BATCH,
    skip_invalid: bool = False,
) -> CasesImported:
    """Import cases from another system: each row a case (see `CaseImportRow`).

    Check every row before writing any: the field rules of case creation; a state with one of
    its statuses (not `merged`); `resolution` and `resolved_at` exactly for resolved cases;
    times from 1900 up to now (without an offset: UTC), resolved not before created; customer,
    contact, subject, product and owner that exist (an active user), a contact of the
    customer; a ticket number not in the `CAS-` form, used nowhere else. Rows are numbered
    from 1 in input order; rows given as `Line`s by their line numbers, and a `Line` that
    could not be read is a bad row. Without `skip_invalid` the first bad row refuses the
    whole import with `validation_error` (`details.row`: its number, fields
    `rows.<row>.<field>`) and nothing is written; with it, bad rows are left out and
    reported in `skipped`. Then write `batch_size` cases a transaction:
    numbers after the last case, a ticket number unless given, the case (owner: the actor
    unless given; created by the actor), a completed resolution activity at `resolved_at` for
    a resolved case, an audit entry (`create`, details `imported`) and the search document.
    Imported cases take no entitlement and consume no terms.

    Refuse with `forbidden` (through the API only administrators import; elsewhere managers
    and administrators), `validation_error`.
    """
    _require_importer(actor, channel)
    if not 1 <= batch_size <= MAX_BATCH:
        raise ValidationFailed({"batch_size": f"must be 1 to {MAX_BATCH}"})
    return _import(
        actor=actor, rows=rows, channel=channel, batch_size=batch_size, skip_invalid=skip_invalid
    )


def _import(
    *,
    actor: User,
    rows: Iterable[Mapping[str, Any] | CaseImportRow | Line],
    channel: str,
    batch_size: int,
    skip_invalid: bool,
) -> CasesImported:
    now = clock.now()
    result = CasesImported()
    checked: list[CheckedRow] = []
    batch: list[CheckedRow] = []
    problems: list[RowProblem] = []
    tickets: dict[str, int] = {}

    def close_batch() -> None:
        found = check_references(batch) if batch else []
        problems.extend(found)
        if problems and not skip_invalid:
            raise refusal(min(problems, key=lambda p: p.row))
        bad = {p.row for p in found}
        checked.extend(r for r in batch if r.row not in bad)
        batch.clear()

    for place, given in enumerate(rows, start=1):
        if isinstance(given, Line):
            number, kind, raw = given.number, "line", given.value
            if given.unreadable is not None:
                problems.append(RowProblem(number, {"": given.unreadable}, kind))
                continue
        else:
            number, kind, raw = place, "row", given
        row = check_row(number, raw, now, kind)
        if isinstance(row, RowProblem):
            problems.append(row)
        elif row.ticket_number is not None and row.ticket_number in tickets:
            first = tickets[row.ticket_number]
            where = f"on line {first}" if kind == "line" else f"in row {first}"
            problems.append(RowProblem(number, {"ticket_number": f"is also {where}"}, kind))
        else:
            if row.ticket_number is not None:
                tickets[row.ticket_number] = number
            batch.append(row)
        if len(batch) >= batch_size:
            close_batch()
    close_batch()
    result.skipped = sorted(problems, key=lambda p: p.row)
    chunks = [checked[start : start + batch_size] for start in range(0, len(checked), batch_size)]
    # On PostgreSQL the next batch's text pipeline and audit changes are prepared in a thread
    # while this one is written: the client mostly waits for the server there (COPY, commit).
    # Not on SQLite, whose engine runs in this process and releases the interpreter lock for
    # every row it inserts: two threads would take turns row by row.
    ahead = ThreadPoolExecutor(max_workers=1) if connection.vendor == "postgresql" else None
    try:
        upcoming = ahead.submit(_prepare, chunks[0], actor.pk) if ahead and chunks else None
        for k, chunk in enumerate(chunks):
            prepared = upcoming.result() if upcoming else _prepare(chunk, actor.pk)
            if ahead and k + 1 < len(chunks):
                upcoming = ahead.submit(_prepare, chunks[k + 1], actor.pk)
            _write_batch(
                actor=actor, chunk=chunk, prepared=prepared, channel=channel, result=result
            )
    finally:
        if ahead:
            ahead.shutdown(wait=True, cancel_futures=True)
    return result


def _write_batch(
    *,
    actor: User,
    chunk: list[CheckedRow],
    prepared: list[_Prepared],
    channel: str,
    result: CasesImported,
) -> None:
    """One batch in its own transaction; a refusal says how many cases were imported."""
    try:
        with transaction.atomic():
            result.cases.extend(_write(actor=actor, rows=chunk, prepared=prepared, channel=channel))
    except ValidationFailed as exc:  # a ticket number taken since the check
        exc.details["imported"] = len(result.cases)
        raise
    except IntegrityError as exc:  # a record the rows name changed since the check
        first, last, kind = chunk[0].row, chunk[-1].row, chunk[0].kind
        raise ValidationFailed(
            {row_field(first): "conflicts with a change made while importing"},
            f"{kind.capitalize()}s {first} to {last} conflict with a change made while"
            f" importing; the {kind}s before them were imported.",
            details={"row": first, "imported": len(result.cases)},
        ) from exc
