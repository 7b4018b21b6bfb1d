"""What a case to import may hold, and its checks: each row on its own (the field rules of
case creation and what history needs), then the records a batch of rows names, one query per
kind. Used by `casedesk.cases.services.imports`."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError

from casedesk.cases import workflow
from casedesk.cases.choices import (
    STATUSES_BY_STATE,
    CaseType,
    Origin,
    Priority,
    Stage,
    State,
    Status,
)
from casedesk.cases.models import Case
from casedesk.catalog.models import Product, Subject
from casedesk.core.errors import ValidationFailed
from casedesk.core.types import LongText, Minutes, ResolutionText, TicketNumber, Title, When
from casedesk.customers.models import Account, Contact
from casedesk.directory.models import Team, User

# Our own ticket numbers: `CAS-<number>-...` finds the case of that number, so an imported
# ticket number may not take that form.
RESERVED_PREFIX = "CAS-"
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)


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
    created_at: When | None = None
    resolved_at: When | None = None
    resolution: ResolutionText | None = None
    billable_minutes: Minutes | None = None
    ticket_number: TicketNumber | None = None


@dataclass(frozen=True, slots=True)
class Line:
    """A row as a file holds it: its line number (from 1), and the value read from the line
    or, when it could not be read (not UTF-8, not JSON), why not. Rows given as lines are
    named by their line numbers."""

    number: int
    value: Any = None
    unreadable: str | None = None


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why a row cannot be imported: field → message (`""`: the row as a whole). `row` is
    its number: its place in the input counting from 1, or its line number when the row came
    as a `Line` (`kind` "line")."""

    row: int
    fields: dict[str, str]
    kind: str = "row"

    def where(self) -> str:
        return f"{self.kind} {self.row}"


@dataclass(slots=True)
class CheckedRow:
    """A checked row, as the case record will hold it (`row`, `kind`: as in RowProblem)."""

    row: int
    kind: str
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


def _pydantic_problems(exc: PydanticValidationError) -> dict[str, str]:
    problems: dict[str, str] = {}
    for err in exc.errors():
        name = ".".join(str(part) for part in err.get("loc", ()))
        message = str(err.get("msg", "is invalid"))
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        if err.get("type") == "model_type":
            message = "a case must be a JSON object" if not name else "must be a JSON object"
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


def check_row(
    number: int, raw: Any, now: dt.datetime, kind: str = "row"
) -> CheckedRow | RowProblem:
    """The rules of one row on its own (no database); `number` and `kind` name it."""
    try:
        row = raw if isinstance(raw, CaseImportRow) else CaseImportRow.model_validate(raw)
    except PydanticValidationError as exc:
        return RowProblem(number, _pydantic_problems(exc), kind)
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
        return RowProblem(number, problems, kind)
    assert created is not None
    owner = row.owner
    return CheckedRow(
        row=number,
        kind=kind,
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


def check_references(rows: list[CheckedRow]) -> list[RowProblem]:
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
            out.append(RowProblem(r.row, problems, r.kind))
    return out


def _owners(rows: list[CheckedRow], kind: str) -> set[uuid.UUID]:
    return {r.owner_id for r in rows if r.owner_type == kind and r.owner_id is not None}


def _contact_belongs(row: CheckedRow, contact_account: uuid.UUID | None) -> bool:
    """The rule of `common.contact_belongs`, on a checked row."""
    return workflow.contact_belongs_to(
        contact_id=row.contact_id,
        contact_account_id=contact_account,
        customer_is_contact=row.customer_type == "contact",
        customer_id=row.customer_id,
    )


def row_field(row: int, name: str = "") -> str:
    """The name of a row's field in a refusal: `rows.<row>.<name>`, `rows.<row>` for the row."""
    return f"rows.{row}.{name}" if name else f"rows.{row}"


def refusal(problem: RowProblem) -> ValidationFailed:
    name, message = next(iter(problem.fields.items()))
    where = problem.where()
    return ValidationFailed(
        {row_field(problem.row, k): v for k, v in problem.fields.items()},
        f"{where[0].upper()}{where[1:]}: {name + ': ' if name else ''}{message}",
        details={"row": problem.row},
    )
