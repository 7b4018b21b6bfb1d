"""Import cases in bulk: the history of another help desk, thousands of cases at a time.

Every row is checked with the rules of case creation (the API's field types and choices, a
customer and owner that exist, a contact of that customer), plus what history needs: a state
with one of its statuses, historical timestamps, a resolution for resolved cases and optionally
the old system's ticket number. References are checked with one query per kind per batch, and
the rows are written set-wise (`casedesk.core.bulk`): ticket numbers, cases, resolution
activities, one audit entry per case and the search documents, one transaction per batch.
Imported cases consume no entitlement terms and get no system posts (docs/operations.md).
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import IntegrityError, connection, transaction
from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError

from casedesk.cases import workflow
from casedesk.cases.choices import (
    STATUSES_BY_STATE,
    ActivityState,
    ActivityType,
    CaseType,
    Origin,
    Priority,
    Stage,
    State,
    Status,
)
from casedesk.cases.models import Activity, Case, CaseNumber
from casedesk.cases.services.common import FIRST_NUMBER, TICKET_ALPHABET
from casedesk.cases.services.lifecycle import SUBJECT_MAX
from casedesk.catalog.models import Product, Subject
from casedesk.core import clock
from casedesk.core.audit import audit_record_many
from casedesk.core.bulk import BulkInsert
from casedesk.core.choices import Channel
from casedesk.core.errors import Forbidden, ValidationFailed
from casedesk.core.types import LongText, Minutes, ResolutionText, TicketNumber, Title
from casedesk.customers.models import Account, Contact
from casedesk.directory.models import Team, User
from casedesk.search.documents import CaseDocument, case_document, insert_documents

__all__ = [
    "DEFAULT_BATCH",
    "MAX_BATCH",
    "CaseImportRow",
    "CasesImported",
    "ImportedCase",
    "RowProblem",
    "cases_import",
]

DEFAULT_BATCH = 2000
MAX_BATCH = 10_000
# Our own ticket numbers: `CAS-<number>-...` finds the case of that number, so an imported
# ticket number may not take that form.
RESERVED_PREFIX = "CAS-"
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
IMPORTED = {"imported": True}


class CustomerKey(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["account", "contact"]
    id: uuid.UUID


class OwnerKey(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["user", "team"]
    id: uuid.UUID


class CaseImportRow(BaseModel):
    """One case to import. The fields of `POST /cases` with the same types, and history:
    `state`, `status`, `created_at`, `resolved_at`, `resolution`, `billable_minutes` and the
    old system's `ticket_number`."""

    model_config = ConfigDict(extra="forbid")
    title: Title
    customer: CustomerKey
    description: LongText = ""
    contact_id: uuid.UUID | None = None
    subject_id: uuid.UUID | None = None
    product_id: uuid.UUID | None = None
    origin: Origin = Origin.PHONE
    case_type: CaseType | None = None
    priority: Priority | None = None
    stage: Stage | None = None
    state: State | None = None
    status: Status | None = None
    owner: OwnerKey | None = None
    created_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    resolution: ResolutionText | None = None
    billable_minutes: Minutes | None = None
    ticket_number: TicketNumber | None = None


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why row `row` (0-based, in input order) cannot be imported: field → message."""

    row: int
    fields: dict[str, str]


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


@dataclass(slots=True)
class _Row:
    """A checked row, as the case record will hold it."""

    index: int
    title: str
    description: str
    customer_type: str
    customer_id: uuid.UUID
    contact_id: uuid.UUID | None
    subject_id: uuid.UUID | None
    product_id: uuid.UUID | None
    origin: str
    case_type: str | None
    priority: str
    stage: str
    state: str
    status: str
    owner_type: str | None
    owner_id: uuid.UUID | None
    created_at: dt.datetime
    resolved_at: dt.datetime | None
    resolution: str | None
    billable_minutes: int
    ticket_number: str | None


def _require_importer(actor: User, channel: str) -> None:
    """The command line (an operator on the server) lets managers and administrators import;
    the API, reachable with any token, only administrators."""
    if not actor.is_active:
        raise Forbidden("The acting user is not active.")
    if channel == Channel.API:
        if not actor.is_admin:
            raise Forbidden("Only administrators import cases through the API.")
    elif not actor.is_manager:
        raise Forbidden("Only managers and administrators import cases.")


def _pydantic_problems(exc: PydanticValidationError) -> dict[str, str]:
    problems: dict[str, str] = {}
    for err in exc.errors():
        name = ".".join(str(part) for part in err.get("loc", ())) or "row"
        message = str(err.get("msg", "is invalid"))
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        if err.get("type") == "model_type":
            message = "a case must be an object"
        problems.setdefault(name, message)
    return problems


def _utc(value: dt.datetime, name: str, problems: dict[str, str]) -> dt.datetime | None:
    try:
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)  # times without an offset are UTC
        if value < EARLIEST:
            problems[name] = "must be 1900 or later"
            return None
        return value.astimezone(dt.UTC)
    except OverflowError:
        problems[name] = "is out of range"
        return None


def _check_row(index: int, raw: Any, now: dt.datetime) -> _Row | RowProblem:
    """The rules of one row on its own (no database)."""
    try:
        row = raw if isinstance(raw, CaseImportRow) else CaseImportRow.model_validate(raw)
    except PydanticValidationError as exc:
        return RowProblem(index, _pydantic_problems(exc))
    problems: dict[str, str] = {}
    status: str = row.status or ""
    state: str = row.state or (workflow.state_of(status) if status else State.ACTIVE)
    if not status:
        status = workflow.default_status(state)
    elif status not in STATUSES_BY_STATE[state]:
        problems["status"] = f"is not a status of the {state} state"
    if status == Status.MERGED:
        problems["status"] = "merged cases cannot be imported; import them as cancelled"
    created = _utc(row.created_at, "created_at", problems) if row.created_at else now
    resolved = _utc(row.resolved_at, "resolved_at", problems) if row.resolved_at else None
    if created is not None and created > now:
        problems["created_at"] = "is in the future"
    if state == State.RESOLVED:
        if not row.resolution:
            problems["resolution"] = "is required for a resolved case"
        if row.resolved_at is None:
            problems["resolved_at"] = "is required for a resolved case"
        elif resolved is not None and resolved > now:
            problems["resolved_at"] = "is in the future"
        elif resolved is not None and created is not None and resolved < created:
            problems["resolved_at"] = "is before created_at"
    else:
        for name in ("resolution", "resolved_at", "billable_minutes"):
            if getattr(row, name) is not None:
                problems[name] = "only a resolved case has one"
    ticket = row.ticket_number
    if ticket is not None and ticket.upper().startswith(RESERVED_PREFIX):
        problems["ticket_number"] = f"the {RESERVED_PREFIX} form is kept for new ticket numbers"
    if problems:
        return RowProblem(index, problems)
    assert created is not None
    owner = row.owner
    return _Row(
        index=index,
        title=row.title,
        description=row.description,
        customer_type=row.customer.type,
        customer_id=row.customer.id,
        contact_id=row.contact_id,
        subject_id=row.subject_id,
        product_id=row.product_id,
        origin=str(row.origin),
        case_type=str(row.case_type) if row.case_type else None,
        priority=str(row.priority or Priority.NORMAL),
        stage=str(row.stage or (Stage.RESOLVE if state == State.RESOLVED else Stage.IDENTIFY)),
        state=str(state),
        status=str(status),
        owner_type=owner.type if owner else None,
        owner_id=owner.id if owner else None,
        created_at=created,
        resolved_at=resolved,
        resolution=row.resolution,
        billable_minutes=row.billable_minutes or 0,
        ticket_number=ticket,
    )


def _existing(model: Any, ids: set[uuid.UUID], **filters: Any) -> set[uuid.UUID]:
    if not ids:
        return set()
    return set(model.objects.filter(id__in=ids, **filters).values_list("id", flat=True))


def _check_references(rows: list[_Row]) -> list[RowProblem]:
    """The records the rows name exist (one query per kind); contacts belong to the customer;
    ticket numbers are free."""
    accounts = _existing(Account, {r.customer_id for r in rows if r.customer_type == "account"})
    wanted_contacts = {r.customer_id for r in rows if r.customer_type == "contact"}
    wanted_contacts |= {r.contact_id for r in rows if r.contact_id is not None}
    contacts: dict[uuid.UUID, uuid.UUID | None] = (
        dict(Contact.objects.filter(id__in=wanted_contacts).values_list("id", "account_id"))
        if wanted_contacts
        else {}
    )
    subjects = _existing(Subject, {r.subject_id for r in rows if r.subject_id is not None})
    products = _existing(Product, {r.product_id for r in rows if r.product_id is not None})
    users = _existing(User, _owners(rows, "user"), is_active=True)
    teams = _existing(Team, _owners(rows, "team"))
    given = [r.ticket_number for r in rows if r.ticket_number is not None]
    taken = (
        set(Case.objects.filter(ticket_number__in=given).values_list("ticket_number", flat=True))
        if given
        else set()
    )
    out = []
    for r in rows:
        problems: dict[str, str] = {}
        if r.customer_type == "account":
            if r.customer_id not in accounts:
                problems["customer"] = "no such account"
        elif r.customer_id not in contacts:
            problems["customer"] = "no such contact"
        if r.contact_id is not None:
            if r.contact_id not in contacts:
                problems["contact_id"] = "no such contact"
            elif "customer" not in problems and not _contact_belongs(r, contacts[r.contact_id]):
                problems["contact_id"] = "the contact does not belong to the customer"
        if r.subject_id is not None and r.subject_id not in subjects:
            problems["subject_id"] = "no such subject"
        if r.product_id is not None and r.product_id not in products:
            problems["product_id"] = "no such product"
        if r.owner_type == "user" and r.owner_id not in users:
            problems["owner"] = "no such user"
        elif r.owner_type == "team" and r.owner_id not in teams:
            problems["owner"] = "no such team"
        if r.ticket_number in taken:
            problems["ticket_number"] = "is already taken"
        if problems:
            out.append(RowProblem(r.index, problems))
    return out


def _owners(rows: list[_Row], kind: str) -> set[uuid.UUID]:
    return {r.owner_id for r in rows if r.owner_type == kind and r.owner_id is not None}


def _contact_belongs(row: _Row, contact_account: uuid.UUID | None) -> bool:
    """The rule of `common.contact_belongs`: the customer itself, or a contact of the customer
    account."""
    if row.customer_type == "contact":
        return row.contact_id == row.customer_id
    return contact_account == row.customer_id


def _refusal(problem: RowProblem) -> ValidationFailed:
    name, message = next(iter(problem.fields.items()))
    return ValidationFailed(
        {f"rows.{problem.row}.{k}": v for k, v in problem.fields.items()},
        f"Row {problem.row}: {name}: {message}",
        details={"row": problem.row},
    )


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


def _changes(r: _Row, owner_type: str, owner_id: Any) -> dict[str, list[Any]]:
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


def _write(*, actor: User, rows: list[_Row], channel: str) -> list[ImportedCase]:
    """Write one batch of checked rows, in the caller's transaction. The rows of each table
    are generated while they are written (`BulkInsert` streams them)."""
    given = [r.ticket_number for r in rows if r.ticket_number is not None]
    if given:  # taken since the check, by another writer
        taken = set(
            Case.objects.filter(ticket_number__in=given).values_list("ticket_number", flat=True)
        )
        for r in rows:
            if r.ticket_number in taken:
                raise _refusal(RowProblem(r.index, {"ticket_number": "is already taken"}))
    numbers = _reserve_numbers(len(rows))
    out = [
        ImportedCase(
            row=r.index, id=uuid.uuid4(), number=number, ticket_number=r.ticket_number or t
        )
        for r, number, t in zip(rows, numbers, _tickets(numbers), strict=True)
    ]
    owners: list[tuple[str, Any]] = [
        (r.owner_type, r.owner_id) if r.owner_type and r.owner_id else ("user", actor.pk)
        for r in rows
    ]
    pairs = list(zip(rows, out, owners, strict=True))
    docs: list[CaseDocument] = []

    def case_rows() -> Iterator[tuple[Any, ...]]:
        for r, case, (owner_type, owner_id) in pairs:
            # The search document's text pipeline runs here: on PostgreSQL, while the server
            # indexes the case rows already sent (COPY streams them).
            docs.append(
                case_document(
                    number=case.number,
                    case_id=case.id,
                    state=r.state,
                    status=r.status,
                    subject_id=r.subject_id,
                    title=r.title,
                    description=r.description,
                    resolution=r.resolution,
                )
            )
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
    audit_record_many(
        actor=actor,
        action="create",
        channel=channel,
        entity_type="case",
        entries=((case.id, _changes(r, *owner)) for r, case, owner in pairs),
        details=IMPORTED,
    )
    insert_documents(connection, docs)
    return out


def cases_import(
    *,
    actor: User,
    rows: Iterable[Mapping[str, Any] | CaseImportRow],
    channel: str = Channel.API,
    batch_size: int = DEFAULT_BATCH,
    skip_invalid: bool = False,
) -> CasesImported:
    """Import cases from another system: each row a case (see `CaseImportRow`).

    Check every row before writing any: the field rules of case creation; a state with one of
    its statuses (not `merged`); `resolution` and `resolved_at` exactly for resolved cases;
    times from 1900 up to now (without an offset: UTC), resolved not before created; customer,
    contact, subject, product and owner that exist (an active user), a contact of the
    customer; a ticket number not in the `CAS-` form, used nowhere else. Without
    `skip_invalid` the first bad row refuses the whole import with `validation_error`
    (`details.row`, fields `rows.<row>.<field>`) and nothing is written; with it, bad rows
    are left out and reported in `skipped`. Then write `batch_size` cases a transaction:
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
    # The import allocates millions of small objects that form no cycles; the cycle collector
    # would otherwise walk every live row again and again (about a tenth of the time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _import(
            actor=actor,
            rows=rows,
            channel=channel,
            batch_size=batch_size,
            skip_invalid=skip_invalid,
        )
    finally:
        if collecting:
            gc.enable()


def _import(
    *,
    actor: User,
    rows: Iterable[Mapping[str, Any] | CaseImportRow],
    channel: str,
    batch_size: int,
    skip_invalid: bool,
) -> CasesImported:
    now = clock.now()
    result = CasesImported()
    checked: list[_Row] = []
    batch: list[_Row] = []
    problems: list[RowProblem] = []
    tickets: dict[str, int] = {}

    def close_batch() -> None:
        found = _check_references(batch) if batch else []
        problems.extend(found)
        if problems and not skip_invalid:
            raise _refusal(min(problems, key=lambda p: p.row))
        bad = {p.row for p in found}
        checked.extend(r for r in batch if r.index not in bad)
        batch.clear()

    for index, raw in enumerate(rows):
        row = _check_row(index, raw, now)
        if isinstance(row, RowProblem):
            problems.append(row)
        elif row.ticket_number is not None and row.ticket_number in tickets:
            first = tickets[row.ticket_number]
            problems.append(RowProblem(index, {"ticket_number": f"is also in row {first}"}))
        else:
            if row.ticket_number is not None:
                tickets[row.ticket_number] = index
            batch.append(row)
        if len(batch) >= batch_size:
            close_batch()
    close_batch()
    result.skipped = sorted(problems, key=lambda p: p.row)
    for start in range(0, len(checked), batch_size):
        chunk = checked[start : start + batch_size]
        try:
            with transaction.atomic():
                result.cases.extend(_write(actor=actor, rows=chunk, channel=channel))
        except ValidationFailed as exc:  # a ticket number taken since the check
            exc.details["imported"] = len(result.cases)
            raise
        except IntegrityError as exc:  # a record the rows name changed since the check
            raise ValidationFailed(
                {f"rows.{chunk[0].index}": "conflicts with a change made while importing"},
                f"Rows {chunk[0].index} to {chunk[-1].index} conflict with a change made"
                " while importing; the rows before them were imported.",
                details={"row": chunk[0].index, "imported": len(result.cases)},
            ) from exc
    return result
