"""Create and edit cases (docs/cases.md): the case record itself."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from casedesk.cases import workflow
from casedesk.cases.choices import CaseAction, CaseType, Origin, Priority, Stage, State, Status
from casedesk.cases.fields import (
    CHOICE,
    CLOSED_CORRECTABLE,
    FIELDS,
    WRITABLE,
    CaseChanges,
    CaseField,
)
from casedesk.cases.locks import case_lock
from casedesk.cases.models import Case
from casedesk.cases.permissions import require_case_change
from casedesk.cases.selectors import case_get, service_settings
from casedesk.cases.services import family
from casedesk.cases.services.common import (
    Ref,
    case_snapshot,
    contact_belongs,
    customer_of,
    next_ticket,
    resolve_customer,
    resolve_owner,
    set_customer,
    set_owner,
    transition_check,
)
from casedesk.cases.services.pipeline import CaseWrite, SystemPost, case_write_finish
from casedesk.catalog.models import Product, Subject
from casedesk.core import clock
from casedesk.core.choices import Channel
from casedesk.core.concurrency import ExpectedVersion, check_version
from casedesk.core.errors import CaseNotActive, ValidationFailed
from casedesk.customers.models import Contact
from casedesk.directory.access import Actor, actor_user, has_role
from casedesk.directory.choices import Role
from casedesk.directory.models import User
from casedesk.entitlements.services.applicability import (
    case_contract_line_set,
    case_customer_key,
    case_entitlement_on_create,
    case_entitlement_on_update,
)


def _choice(value: Any, choices: Any, field: str) -> str:
    if value not in choices.values:
        raise ValidationFailed({field: f"must be one of {', '.join(choices.values)}"})
    return str(value)


def _lookup(model: Any, value: uuid.UUID | None, field: str) -> Any:
    if value is None:
        return None
    found = model.objects.filter(id=value).first()
    if found is None:
        raise ValidationFailed({field: f"no such {model._meta.verbose_name}"})
    return found


def _apply_contact(case: Case, contact_id: uuid.UUID | None) -> None:
    contact = _lookup(Contact, contact_id, "contact_id")
    if contact is not None and not contact_belongs(contact, customer_of(case)):
        raise ValidationFailed({"contact_id": "the contact does not belong to the customer"})
    case.contact = contact


def case_create_step(
    *,
    actor: Actor,
    title: str | None = None,
    customer: Ref | None = None,
    description: str = "",
    contact_id: uuid.UUID | None = None,
    subject_id: uuid.UUID | None = None,
    product_id: uuid.UUID | None = None,
    origin: str = Origin.PHONE,
    case_type: str | None = None,
    priority: str | None = None,
    stage: str = Stage.IDENTIFY,
    status: str = Status.IN_PROGRESS,
    owner: Ref | None = None,
    parent_id: uuid.UUID | None = None,
    entitlement_id: uuid.UUID | None = None,
    contract_line_id: uuid.UUID | None = None,
    decrement_entitlement_terms: bool = True,
    given: frozenset[str] = frozenset(),
    channel: str = Channel.API,
    mailbox_id: uuid.UUID | None = None,
) -> Case:
    """Open a case for a customer; the caller owns it unless `owner` is given (`SYSTEM`, who
    owns nothing, must give it). A case opened by an e-mail names its `mailbox_id`.

    A child (`parent_id`) takes title, customer, contact, subject, product and priority from
    its parent unless they are in `given`. Refuse with `validation_error` for a missing title or
    customer, an unknown record, a contact outside the customer, or a non-active status; with
    `forbidden` for a parent the actor may not change (attaching a child changes the parent);
    with `case_not_active` for a closed parent and `case_hierarchy` for a parent that cannot
    take this child.
    """
    now = clock.now()
    parent = None
    if parent_id is not None:
        parent = family.parent_for_new_child(actor=actor, parent_id=parent_id)
    case = Case(
        created_at=now, modified_at=now, created_by=actor_user(actor), description=description
    )
    # Inherit first; explicit values below win.
    if parent is not None:
        if "title" not in given:
            title = title or parent.title
        if "customer" not in given and customer is None:
            set_customer(case, customer_of(parent))
        if "contact_id" not in given:
            contact_id = parent.contact_id
        if "subject_id" not in given:
            subject_id = parent.subject_id
        if "product_id" not in given:
            product_id = parent.product_id
        if "priority" not in given and priority is None:
            priority = parent.priority
        case.parent = parent
    if not title or not title.strip():
        raise ValidationFailed({"title": "is required"})
    case.title = title
    if customer is not None:
        set_customer(case, resolve_customer(customer))
    elif case.customer_account_id is None and case.customer_contact_id is None:
        raise ValidationFailed({"customer": "is required"})
    inherited_contact = parent.contact if parent and "contact_id" not in given else None
    if inherited_contact and not contact_belongs(inherited_contact, customer_of(case)):
        contact_id = None  # a child given its own customer keeps only a contact that belongs
    _apply_contact(case, contact_id)
    case.subject = _lookup(Subject, subject_id, "subject_id")
    case.product = _lookup(Product, product_id, "product_id")
    case.origin = _choice(origin, Origin, "origin")
    case.case_type = _choice(case_type, CaseType, "case_type") if case_type else None
    case.priority = _choice(priority or Priority.NORMAL, Priority, "priority")
    case.stage = _choice(stage, Stage, "stage")
    if status not in workflow.ACTIVE_STATUSES:
        raise ValidationFailed({"status": "a new case needs an active status"})
    case.state, case.status = State.ACTIVE, status
    if owner is not None:
        set_owner(case, resolve_owner(owner))
    else:
        creator = actor_user(actor)
        if creator is None:
            raise ValidationFailed({"owner": "is required when the system opens a case"})
        set_owner(case, creator)
    case.decrement_entitlement_terms = decrement_entitlement_terms
    case.mailbox_id = mailbox_id
    case_entitlement_on_create(
        case=case, entitlement_id=entitlement_id, given="entitlement_id" in given
    )
    case_contract_line_set(case=case, contract_line_id=contract_line_id)
    case.number, case.ticket_number = next_ticket()
    case_write_finish(
        case=case,
        actor=actor,
        channel=channel,
        write=CaseWrite(
            action=CaseAction.CREATE,
            before=None,
            post=SystemPost("created", {"ticket": case.ticket_number}),
        ),
    )
    return case


def case_update_step(
    *,
    actor: User,
    case_id: uuid.UUID,
    changes: CaseChanges,
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> Case:
    """Apply a merge patch to a case (absent: unchanged; null: cleared).

    Only an active case may be edited, except that with `allow_closed_updates` managers may
    correct title, description, subject, product, priority and case type of a closed one
    (`case_not_active` otherwise). `status` moves only within the active state and, when
    transitions are enforced, along an allowed transition. Changing the customer clears a
    contact that no longer belongs. A new `parent_id` needs the right to change the parent the
    case gets and the one it leaves. Refuse with `version_mismatch`, `forbidden`,
    `validation_error` (a value a field may not take, unknown record), `case_hierarchy`.

    A step: it runs in the caller's transaction. `case_update` is the public service.
    """
    case = case_lock(case_id=case_id)
    check_version(expected_version, case.version)
    require_case_change(actor, case)
    given = changes.given()
    if case.state != State.ACTIVE:
        config = service_settings()
        allowed = config.allow_closed_updates and has_role(actor, Role.MANAGER)
        if not allowed or set(given) - CLOSED_CORRECTABLE:
            raise CaseNotActive(details={"case_id": str(case.pk), "state": case.state})
    before = case_snapshot(case)
    _apply_changes(case, given, actor=actor)
    after = case_snapshot(case)
    if after == before:
        return case_get(case_id=case.pk)
    case_write_finish(
        case=case,
        actor=actor,
        channel=channel,
        write=CaseWrite(action=CaseAction.UPDATE, before=before),
    )
    return case_get(case_id=case.pk)


# The public services: each is the one transaction of its request (docs/concurrency.md).
case_create = transaction.atomic(case_create_step)
case_update = transaction.atomic(case_update_step)


# The writable fields with a rule of their own in `_apply_changes`; an edit sets every other
# writable field as it is given, once `_set_plain` has checked the value.
_OWN_RULES = frozenset(
    {
        "title",
        "description",
        "customer",
        "contact_id",
        "subject_id",
        "product_id",
        "status",
        "parent_id",
        "contract_line_id",
        "entitlement_id",  # case_entitlement_on_update
    }
)
_PLAIN = frozenset(WRITABLE) - _OWN_RULES


def _set_plain(case: Case, field: CaseField, value: Any) -> None:
    """The value as given, one of the choices for a choice field; cleared (`None`, or empty
    text for a choice) only when the field may be null."""
    attribute = field.attribute or field.name
    if value is None or (field.kind == CHOICE and field.nullable and not value):
        if not field.nullable:
            raise ValidationFailed({field.name: "may not be cleared"})
        setattr(case, attribute, None)
    elif field.kind == CHOICE:
        setattr(case, attribute, _choice(value, field.choices, field.name))
    else:
        setattr(case, attribute, value)


def _apply_changes(case: Case, changes: dict[str, Any], *, actor: User) -> None:
    """Set the given fields (`CaseChanges.given()`), each checked as the field requires."""
    previous = case_customer_key(case)
    if "title" in changes:
        title = changes["title"]
        if not title or not str(title).strip():
            raise ValidationFailed({"title": "is required"})
        case.title = title
    if "description" in changes:
        case.description = changes["description"] or ""
    if "customer" in changes:
        if changes["customer"] is None:
            raise ValidationFailed({"customer": "is required"})
        set_customer(case, resolve_customer(changes["customer"]))
        contact = case.contact
        if (
            "contact_id" not in changes
            and contact is not None
            and not contact_belongs(contact, customer_of(case))
        ):
            case.contact = None
    if "contact_id" in changes:
        _apply_contact(case, changes["contact_id"])
    if "subject_id" in changes:
        case.subject = _lookup(Subject, changes["subject_id"], "subject_id")
    if "product_id" in changes:
        case.product = _lookup(Product, changes["product_id"], "product_id")
    for name, value in changes.items():
        if name in _PLAIN:
            _set_plain(case, FIELDS[name], value)
    if "status" in changes:
        target = changes["status"]
        if target not in workflow.ACTIVE_STATUSES:
            raise ValidationFailed(
                {
                    "status": "only an active status may be set; use resolve or "
                    "cancel to close a case"
                }
            )
        transition_check(case, target, service_settings())
        case.status = target
    if "parent_id" in changes:
        family.set_parent(case, changes["parent_id"], actor=actor)
    if "contract_line_id" in changes:
        case_contract_line_set(case=case, contract_line_id=changes["contract_line_id"])
    case_entitlement_on_update(case=case, changes=changes, previous=previous)
