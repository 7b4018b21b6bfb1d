"""The case's fields, each declared once (docs/cases.md, "Adding a field to a case").

Plain Python, no database: the API's case answer and merge patch, the update service's patch
(`CaseChanges`), the audit snapshot, the fields routing rules match on, the web form's names,
the import's columns and the fields a closed case may be corrected in are all read from
`FIELDS`. tests/cases/test_fields.py checks that every column of the case is declared here or
named in `INTERNAL`, and that the places that keep their own shape agree with this list.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrPromise
from pydantic import BaseModel, ConfigDict, create_model

from casedesk.cases.choices import CaseType, Origin, Priority, Stage, State, Status
from casedesk.core.types import Flag, LongText, Title
from casedesk.sla.choices import KpiStatus

# What a field holds. `ref` is a typed reference (`{"type", "id"}`) kept in one of two
# columns, `columns`, one per type of `ref_types`.
TEXT, CHOICE, UUID, INT, BOOL, DATETIME, REF = (
    "text",
    "choice",
    "uuid",
    "int",
    "bool",
    "datetime",
    "ref",
)

# The operators a routing condition may use on a field of each kind (docs/routing.md).
OPERATORS_BY_KIND: dict[str, tuple[str, ...]] = {
    TEXT: ("eq", "ne", "in", "contains", "is_null"),
    CHOICE: ("eq", "ne", "in", "is_null"),
    UUID: ("eq", "ne", "in", "is_null"),
    INT: ("eq", "ne", "in", "is_null"),
    BOOL: ("eq", "ne", "is_null"),
    DATETIME: ("is_null",),
}


@dataclass(frozen=True)
class CaseField:
    """One field of the case as the outside sees it.

    `name` is its API name; `attribute` the model attribute that holds it (None: not a column
    of the case, `queue_id` is the open queue item's). `input` is the type a request gives it
    (choices: their TextChoices; `ref`: the interface's own reference type). `create`: may be
    given to case creation; `update`: may be changed by an edit (the merge patch); `correct`:
    may also be corrected on a closed case (`allow_closed_updates`); `audited`: in the audit
    snapshot; `matchable`: routing conditions may name it (its operators by kind; a `ref` as
    `<name>.type`, `<name>.id`, `<name>.name`); `imported`: a column of the case import;
    `form`: the name of its field in the web UI's case form.
    """

    name: str
    kind: str
    label: StrPromise
    attribute: str | None = None
    nullable: bool = False
    choices: type[TextChoices] | None = None
    input: Any = None
    ref_types: tuple[str, str] = ("", "")
    columns: tuple[str, str] = ("", "")
    create: bool = False
    update: bool = False
    correct: bool = False
    audited: bool = False
    matchable: bool = False
    imported: bool = False
    form: str | None = None

    @property
    def values(self) -> tuple[str, ...]:
        """The values a choice field may take."""
        return tuple(str(v) for v in self.choices.values) if self.choices else ()

    @property
    def operators(self) -> tuple[str, ...]:
        return OPERATORS_BY_KIND.get(self.kind, ())


def _column(name: str, kind: str, label: StrPromise, **options: Any) -> CaseField:
    options.setdefault("attribute", name)
    return CaseField(name=name, kind=kind, label=label, **options)


def _choice(name: str, choices: type[TextChoices], label: StrPromise, **options: Any) -> CaseField:
    return _column(name, CHOICE, label, choices=choices, input=choices, **options)


def _key(name: str, label: StrPromise, **options: Any) -> CaseField:
    """A nullable foreign key, given by its id."""
    return _column(name, UUID, label, nullable=True, input=uuid.UUID, **options)


# Every field of the case, in the order the API answers them.
FIELDS_IN_ORDER: tuple[CaseField, ...] = (
    _column("id", UUID, _("ID"), matchable=True),
    _column("ticket_number", TEXT, _("Ticket number"), matchable=True, imported=True),
    _column("number", INT, _("Case number"), matchable=True),
    _column("version", INT, _("Version")),
    _column(
        "title",
        TEXT,
        _("Case title"),
        input=Title,
        create=True,
        update=True,
        correct=True,
        audited=True,
        matchable=True,
        imported=True,
        form="title",
    ),
    _column(
        "description",
        TEXT,
        _("Description"),
        input=LongText,
        create=True,
        update=True,
        correct=True,
        audited=True,
        matchable=True,
        imported=True,
        form="description",
    ),
    CaseField(
        "customer",
        REF,
        _("Customer"),
        ref_types=("account", "contact"),
        columns=("customer_account", "customer_contact"),
        create=True,
        update=True,
        audited=True,
        matchable=True,
        imported=True,
        form="customer",
    ),
    _key(
        "contact_id",
        _("Contact"),
        create=True,
        update=True,
        audited=True,
        matchable=True,
        imported=True,
        form="contact",
    ),
    _key(
        "subject_id",
        _("Subject"),
        create=True,
        update=True,
        correct=True,
        audited=True,
        matchable=True,
        imported=True,
        form="subject",
    ),
    _key(
        "product_id",
        _("Product"),
        create=True,
        update=True,
        correct=True,
        audited=True,
        matchable=True,
        imported=True,
        form="product",
    ),
    _choice(
        "origin",
        Origin,
        _("Origin"),
        create=True,
        update=True,
        audited=True,
        matchable=True,
        imported=True,
        form="origin",
    ),
    _choice(
        "case_type",
        CaseType,
        _("Case type"),
        nullable=True,
        create=True,
        update=True,
        correct=True,
        audited=True,
        matchable=True,
        imported=True,
        form="case_type",
    ),
    _choice(
        "priority",
        Priority,
        _("Priority"),
        create=True,
        update=True,
        correct=True,
        audited=True,
        matchable=True,
        imported=True,
        form="priority",
    ),
    _choice(
        "stage",
        Stage,
        _("Stage"),
        create=True,
        update=True,
        audited=True,
        matchable=True,
        imported=True,
        form="stage",
    ),
    _choice("state", State, _("State"), audited=True, matchable=True, imported=True),
    _choice(
        "status",
        Status,
        _("Status reason"),
        create=True,
        update=True,
        audited=True,
        matchable=True,
        imported=True,
        form="status",
    ),
    CaseField(
        "owner",
        REF,
        _("Owner"),
        ref_types=("user", "team"),
        columns=("owner_user", "owner_team"),
        create=True,
        audited=True,
        matchable=True,
        imported=True,
    ),
    CaseField("queue_id", UUID, _("Queue"), nullable=True, matchable=True),
    _key("parent_id", _("Parent case"), create=True, update=True, audited=True, matchable=True),
    _key("merged_into_id", _("Merged into"), audited=True, matchable=True),
    _key(
        "entitlement_id",
        _("Entitlement"),
        create=True,
        update=True,
        audited=True,
        matchable=True,
        form="entitlement",
    ),
    _column(
        "decrement_entitlement_terms",
        BOOL,
        _("Decrement entitlement terms"),
        input=Flag,
        create=True,
        update=True,
        audited=True,
        matchable=True,
    ),
    _key(
        "contract_line_id",
        _("Contract line"),
        create=True,
        update=True,
        audited=True,
        matchable=True,
        form="contract_line",
    ),
    _column("total_minutes", INT, _("Total time"), audited=True, matchable=True),
    _column(
        "billable_minutes", INT, _("Billable time"), audited=True, matchable=True, imported=True
    ),
    _column("created_at", DATETIME, _("Created on"), matchable=True, imported=True),
    _column("modified_at", DATETIME, _("Modified on"), matchable=True),
    _column(
        "resolved_at",
        DATETIME,
        _("Resolved on"),
        nullable=True,
        audited=True,
        matchable=True,
        imported=True,
    ),
    _key("mailbox_id", _("Mailbox"), audited=True, matchable=True),
    _column(
        "first_response_at",
        DATETIME,
        _("First response on"),
        nullable=True,
        audited=True,
        matchable=True,
    ),
    # The service level, kept by the SLA step of the case-write pipeline and by the timers
    # (docs/service-levels.md#on-a-case): derived, so neither audited nor matchable (an SLA
    # item's conditions cannot read what the SLA computes).
    _key("sla_id", _("SLA")),
    _column("first_response_by", DATETIME, _("First response by"), nullable=True),
    _column("resolve_by", DATETIME, _("Resolve by"), nullable=True),
    _choice("sla_status", KpiStatus, _("SLA status"), nullable=True),
)

FIELDS: dict[str, CaseField] = {field.name: field for field in FIELDS_IN_ORDER}

# Columns of the case that are no field of it: nothing outside the services reads or sets them.
INTERNAL = frozenset({"created_by"})

# Derived lists, each in the order of FIELDS_IN_ORDER.
WRITABLE = tuple(f.name for f in FIELDS_IN_ORDER if f.update)
CLOSED_CORRECTABLE = frozenset(f.name for f in FIELDS_IN_ORDER if f.correct)
AUDITED = tuple(f for f in FIELDS_IN_ORDER if f.audited)
IMPORT_COLUMNS = tuple(f.name for f in FIELDS_IN_ORDER if f.imported)
# Case form field -> API name.
FORM_NAMES = {f.form: f.name for f in FIELDS_IN_ORDER if f.form}


def model_columns(field: CaseField) -> tuple[str, ...]:
    """The model fields of the case that hold `field` (none for a derived field)."""
    if field.kind == REF:
        return field.columns
    if field.attribute is None:
        return ()
    return (field.attribute.removesuffix("_id"),)


@dataclass(frozen=True)
class Ref:
    """A typed reference from the outside: `{"type": ..., "id": ...}` (a `ref` field)."""

    type: str
    id: uuid.UUID


class CaseChangesBase(BaseModel):
    """What `CaseChanges` is built on: frozen, no field that is not declared, and "not given"
    (absent from `given()`) apart from "cleared" (given as `None`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    if TYPE_CHECKING:  # the fields are declared when the model is built, from FIELDS

        def __init__(self, **values: Any) -> None: ...

    def given(self) -> dict[str, Any]:
        """The fields given, by API name, in the order of `FIELDS_IN_ORDER`."""
        given = self.model_fields_set
        return {name: getattr(self, name) for name in WRITABLE if name in given}

    def __bool__(self) -> bool:
        return bool(self.model_fields_set)


# The type the update service takes for a field of each kind: the services' own reference
# type for a `ref`, plain text for a choice (the service checks the value and names the
# field in its refusal).
_SERVICE_TYPES: dict[str, Any] = {
    TEXT: str,
    CHOICE: str,
    UUID: uuid.UUID,
    INT: int,
    BOOL: bool,
    DATETIME: dt.datetime,
    REF: Ref,
}

# A merge patch of the case for `case_update`: the writable fields (`update=True`), each not
# given or given a value (`None` clears it): `CaseChanges(priority="low")`. A name that is not
# a writable field, or a value of the wrong type, raises pydantic's ValidationError at once.
if TYPE_CHECKING:
    CaseChanges = CaseChangesBase
else:
    CaseChanges = create_model(
        "CaseChanges",
        __base__=CaseChangesBase,
        __doc__=CaseChangesBase.__doc__,
        **{name: (_SERVICE_TYPES[FIELDS[name].kind] | None, None) for name in WRITABLE},
    )
