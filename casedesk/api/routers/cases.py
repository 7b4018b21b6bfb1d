from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, Literal, cast

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status
from pydantic import Field, create_model

from casedesk.api.auth import actor
from casedesk.api.http import if_match, page_body, set_etag
from casedesk.api.routers.activities import activity_out
from casedesk.api.schemas import In, ListParams, Out, errors
from casedesk.cases import actions, selectors
from casedesk.cases import fields as case_fields
from casedesk.cases.allowed import case_allowed
from casedesk.cases.choices import CaseType, Origin, Priority, Stage, State
from casedesk.cases.choices import Status as CaseStatus
from casedesk.cases.fields import CaseChanges, Ref
from casedesk.cases.models import Case
from casedesk.cases.services import records
from casedesk.core.models import AuditEntry
from casedesk.core.pagination import paginate
from casedesk.core.types import Flag, LongText, SearchText, Title
from casedesk.directory.models import User
from casedesk.routing.services import routing
from casedesk.sla.choices import KpiStatus

__all__ = ["activity_out", "case_out", "case_record_out", "case_row_out", "router"]

router = Router(tags=["cases"])


class CustomerIn(In):
    type: Literal["account", "contact"]
    id: uuid.UUID


class OwnerIn(In):
    type: Literal["user", "team"]
    id: uuid.UUID


class RefOut(Out):
    type: str
    id: str
    name: str


# The answer's type for a field of each kind (casedesk/cases/fields.py): ids and times as text.
_OUT_TYPES: dict[str, Any] = {
    case_fields.TEXT: str,
    case_fields.CHOICE: str,
    case_fields.UUID: str,
    case_fields.INT: int,
    case_fields.BOOL: bool,
    case_fields.DATETIME: str,
    case_fields.REF: RefOut,
}
# The request's type of a reference, by the types it may name.
_REF_IN: dict[tuple[str, str], type[In]] = {
    ("account", "contact"): CustomerIn,
    ("user", "team"): OwnerIn,
}


def _out_type(field: case_fields.CaseField) -> Any:
    kind = _OUT_TYPES[field.kind]
    return kind | None if field.nullable else kind


def _in_type(field: case_fields.CaseField) -> Any:
    return _REF_IN[field.ref_types] if field.kind == case_fields.REF else field.input


if TYPE_CHECKING:
    CaseOut = Out
    CasePatch = In
else:
    # Every field of the case, in the registry's order.
    CaseOut = create_model(
        "CaseOut",
        __base__=Out,
        __module__=__name__,
        **{f.name: (_out_type(f), ...) for f in case_fields.FIELDS_IN_ORDER},
    )
    # A merge patch: the writable fields (`update`), each optional; `null` clears.
    CasePatch = create_model(
        "CasePatch",
        __base__=In,
        __module__=__name__,
        **{
            name: (_in_type(case_fields.FIELDS[name]) | None, None) for name in case_fields.WRITABLE
        },
    )


ALLOWED_ACTIONS_HELP = (
    "What the caller may do now on this case, each a name of: "
    + ", ".join(actions.ACTIONS)
    + ". Derived from the same rules the operations enforce (the caller's rights, the case's "
    "state and status, the status transitions and service settings, its parent and children), "
    "so an action listed here is not refused for those reasons; an action not listed would be. "
    "`edit` is PATCH of every writable field; `correct` is PATCH of title, description, "
    "subject_id, product_id, priority and case_type (also on a closed case, for managers, "
    "when the service settings allow closed updates). See docs/cases.md, "
    "'What a user may do now'."
)


class CaseRecordOut(CaseOut):
    """One case as an operation on it answers: the record and what the caller may do now."""

    allowed_actions: list[str] = Field(description=ALLOWED_ACTIONS_HELP)


class CasePage(Out):
    items: list[CaseOut]
    next: str | None


class CaseIn(In):
    title: Title | None = None
    customer: CustomerIn | None = None
    description: LongText = ""
    contact_id: uuid.UUID | None = None
    subject_id: uuid.UUID | None = None
    product_id: uuid.UUID | None = None
    origin: Origin = Origin.PHONE
    case_type: CaseType | None = None
    priority: Priority | None = None
    stage: Stage = Stage.IDENTIFY
    status: CaseStatus = CaseStatus.IN_PROGRESS
    route: Flag = False
    owner: OwnerIn | None = None
    parent_id: uuid.UUID | None = None
    entitlement_id: uuid.UUID | None = None
    contract_line_id: uuid.UUID | None = None
    decrement_entitlement_terms: Flag = True


class CaseListParams(ListParams):
    state: State | None = None
    status: CaseStatus | None = None
    owner_id: uuid.UUID | None = None
    queue_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    subject_id: uuid.UUID | None = None
    parent_id: uuid.UUID | None = None
    search: SearchText | None = None
    priority: Priority | None = None
    sla_status: KpiStatus | None = None
    order: Literal["-created_at", "-modified_at", "resolve_by", "first_response_by", "priority"] = (
        "-created_at"
    )


class AuditActor(Out):
    id: str
    name: str


class AuditOut(Out):
    at: str
    actor: AuditActor | None
    action: str
    channel: str
    changes: dict[str, Any]
    details: dict[str, Any]


class AuditPage(Out):
    items: list[AuditOut]
    next: str | None


def _id(value: Any) -> str | None:
    return str(value) if value is not None else None


def case_out(case: Case, viewer: User | None) -> dict[str, Any]:
    """The answer for a case, as `viewer` may see it (a private queue it may not see: none)."""
    return case_row_out(selectors.case_row(case, viewer=viewer))


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def case_row_out(row: dict[str, Any]) -> dict[str, Any]:
    """The answer for a case row (`cases.selectors.case_rows` / `case_row`).

    Every field of the case (casedesk/cases/fields.py), written out: a loop over the registry
    costs a sixth more CPU per row, about 3% of a list page (docs/performance.md)."""
    if row["customer_account_id"] is not None:
        customer = {
            "type": "account",
            "id": str(row["customer_account_id"]),
            "name": row["customer_account__name"],
        }
    elif row["customer_contact_id"] is not None:
        customer = {
            "type": "contact",
            "id": str(row["customer_contact_id"]),
            "name": row["customer_contact__name"],
        }
    else:  # the "exactly one customer" constraint forbids it
        raise AssertionError(f"case {row['id']} has no customer")
    if row["owner_user_id"] is not None:
        owner = {"type": "user", "id": str(row["owner_user_id"]), "name": row["owner_name"]}
    elif row["owner_team_id"] is not None:
        owner = {"type": "team", "id": str(row["owner_team_id"]), "name": row["owner_name"]}
    else:  # the "exactly one owner" constraint makes this unreachable
        raise AssertionError(f"case {row['id']} has no owner")
    return {
        "id": str(row["id"]),
        "ticket_number": row["ticket_number"],
        "number": row["number"],
        "version": row["version"],
        "title": row["title"],
        "description": row["description"],
        "customer": customer,
        "contact_id": _id(row["contact_id"]),
        "subject_id": _id(row["subject_id"]),
        "product_id": _id(row["product_id"]),
        "origin": row["origin"],
        "case_type": row["case_type"],
        "priority": row["priority"],
        "stage": row["stage"],
        "state": row["state"],
        "status": row["status"],
        "owner": owner,
        "queue_id": _id(row["current_queue_id"]),
        "parent_id": _id(row["parent_id"]),
        "merged_into_id": _id(row["merged_into_id"]),
        "entitlement_id": _id(row["entitlement_id"]),
        "decrement_entitlement_terms": row["decrement_entitlement_terms"],
        "contract_line_id": _id(row["contract_line_id"]),
        "total_minutes": row["total_minutes"],
        "billable_minutes": row["billable_minutes"],
        "created_at": row["created_at"].isoformat(),
        "modified_at": row["modified_at"].isoformat(),
        "resolved_at": _iso(row["resolved_at"]),
        "mailbox_id": _id(row["mailbox_id"]),
        "first_response_at": _iso(row["first_response_at"]),
        "sla_id": _id(row["sla_id"]),
        "first_response_by": _iso(row["first_response_by"]),
        "resolve_by": _iso(row["resolve_by"]),
        "sla_status": row["sla_status"],
    }


def case_record_out(case: Case, viewer: User) -> dict[str, Any]:
    """The answer for one case with `allowed_actions`, what `viewer` may do now."""
    return {
        **case_out(case, viewer),
        "allowed_actions": case_allowed(user=viewer, case=case, merge_candidates=0).listed,
    }


def case_response(response: HttpResponse, case: Case, viewer: User) -> dict[str, Any]:
    set_etag(response, case.version)
    return case_record_out(case, viewer)


def audit_out(entry: AuditEntry) -> dict[str, Any]:
    actor_ = entry.actor
    return {
        "at": entry.at.isoformat(),
        "actor": {"id": str(actor_.pk), "name": actor_.display_name} if actor_ else None,
        "action": entry.action,
        "channel": entry.channel,
        "changes": entry.changes,
        "details": entry.details,
    }


@router.get("/cases", response={200: CasePage, **errors()})
def case_list(request: HttpRequest, params: Query[CaseListParams]) -> dict[str, Any]:
    """Cases matching every filter given, newest first or in `order` (`resolve_by` and
    `first_response_by` soonest first, cases without one last; `priority` high first, then
    newest first). A private queue's cases are listed
    (`queue_id`) and shown in it only to its members, managers and administrators: for anyone
    else the filter lists nothing and a case in it shows `queue_id` null."""
    me = actor(request)
    filters = selectors.CaseFilters(
        state=params.state,
        status=params.status,
        owner_id=params.owner_id,
        owner_type="user" if params.owner_id == me.pk else None,
        queue_id=params.queue_id,
        customer_id=params.customer_id,
        subject_id=params.subject_id,
        parent_id=params.parent_id,
        search=params.search,
        priority=params.priority,
        sla_status=params.sla_status,
    )
    order = selectors.CASE_ORDERS[params.order]
    scope = "cases:" + "|".join(f"{k}={v}" for k, v in sorted(vars(filters).items()) if v)
    page = paginate(
        selectors.case_list(filters, viewer=me),
        order=order.keys,
        limit=params.limit,
        cursor=params.cursor,
        scope=f"{scope}|order={params.order}",
        read=selectors.case_rows_of,
        annotations=order.annotations,
        nulls_last=order.nulls_last,
    )
    selectors.case_rows_seen(cast(list[dict[str, Any]], page.items), viewer=me)  # rows: `read`
    return page_body(page, case_row_out)


@router.post("/cases", response={201: CaseRecordOut, **errors(403, 409, 413, 422)})
def case_create(request: HttpRequest, payload: CaseIn, response: HttpResponse) -> Status:
    """Open a case. A child (`parent_id`) inherits title, customer, contact, subject, product
    and priority when they are not given."""
    data = payload.model_dump(exclude_unset=True)
    me = actor(request)
    case = routing.case_create_and_route(
        actor=me,
        title=payload.title,
        customer=Ref(payload.customer.type, payload.customer.id) if payload.customer else None,
        description=payload.description,
        contact_id=payload.contact_id,
        subject_id=payload.subject_id,
        product_id=payload.product_id,
        origin=payload.origin,
        case_type=payload.case_type,
        priority=payload.priority,
        stage=payload.stage,
        status=payload.status,
        owner=Ref(payload.owner.type, payload.owner.id) if payload.owner else None,
        parent_id=payload.parent_id,
        entitlement_id=payload.entitlement_id,
        contract_line_id=payload.contract_line_id,
        decrement_entitlement_terms=payload.decrement_entitlement_terms,
        route=payload.route,
        given=frozenset(data),
    )
    if payload.route:  # the queue the routing placed it in is read with the case
        case = selectors.case_get(case_id=case.id)
    # Otherwise the service's case carries every related record the answer shows: reading
    # it back would cost about a fifth of the CPU of a create (docs/performance.md).
    return Status(201, case_response(response, case, me))


@router.get("/cases/{case_id}", response={200: CaseRecordOut, **errors()})
def case_get(request: HttpRequest, case_id: uuid.UUID, response: HttpResponse) -> Any:
    """The case, with `allowed_actions`: what the caller may do on it now."""
    case = selectors.case_get(case_id=case_id)
    return case_response(response, case, actor(request))


def patch_changes(payload: In) -> CaseChanges:
    """The merge patch as the services take it (absent: not given; customer references become
    `Ref`s)."""
    changes = payload.model_dump(exclude_unset=True)
    if changes.get("customer") is not None:
        changes["customer"] = Ref(changes["customer"]["type"], changes["customer"]["id"])
    return CaseChanges(**changes)


@router.patch("/cases/{case_id}", response={200: CaseRecordOut, **errors(403, 409, 412, 413, 422)})
def case_update(
    request: HttpRequest, case_id: uuid.UUID, payload: CasePatch, response: HttpResponse
) -> Any:
    """Merge-patch the writable fields (absent: unchanged; null: cleared)."""
    me = actor(request)
    case = records.case_update(
        actor=me,
        case_id=case_id,
        changes=patch_changes(payload),
        expected_version=if_match(request),
    )
    return case_response(response, case, me)


@router.get("/cases/{case_id}/children", response={200: CasePage, **errors()})
def case_children(
    request: HttpRequest, case_id: uuid.UUID, params: Query[ListParams]
) -> dict[str, Any]:
    selectors.case_get(case_id=case_id)
    me = actor(request)
    page = paginate(
        selectors.case_list(selectors.CaseFilters(parent_id=case_id), viewer=me),
        order=("-created_at", "-id"),
        limit=params.limit,
        cursor=params.cursor,
        scope=f"children:{case_id}",
        read=selectors.case_rows_of,
    )
    selectors.case_rows_seen(cast(list[dict[str, Any]], page.items), viewer=me)  # rows: `read`
    return page_body(page, case_row_out)


@router.get("/cases/{case_id}/audit", response={200: AuditPage, **errors()})
def case_audit(
    request: HttpRequest, case_id: uuid.UUID, params: Query[ListParams]
) -> dict[str, Any]:
    """Field-level history of the case, oldest first. A private queue the caller may not see
    is named as null."""
    selectors.case_get(case_id=case_id)
    page = paginate(
        selectors.case_audit_list(case_id=case_id),
        order=("id",),
        limit=params.limit,
        cursor=params.cursor,
        scope=f"audit:{case_id}",
    )
    selectors.case_audit_seen(page.items, viewer=actor(request))
    return page_body(page, audit_out)
