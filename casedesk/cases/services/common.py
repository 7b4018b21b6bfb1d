"""Pieces every case service shares: references, snapshots for the audit, system posts."""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from typing import Any

from casedesk.cases import posts, workflow
from casedesk.cases.choices import Status
from casedesk.cases.fields import AUDITED, DATETIME, REF, UUID, CaseField, Ref
from casedesk.cases.models import Case, CaseNumber, Post, ServiceSettings
from casedesk.core import clock
from casedesk.core.audit import audit_record, diff
from casedesk.core.errors import CaseNotActive, TransitionNotAllowed, ValidationFailed
from casedesk.customers.models import Account, Contact
from casedesk.directory.access import Actor
from casedesk.directory.models import Team, User

TICKET_ALPHABET = string.ascii_uppercase + string.digits
FIRST_NUMBER = 1000


def next_ticket() -> tuple[int, str]:
    """A new case number and its ticket number `CAS-01000-K7Q2M9` (gaps allowed)."""
    number = CaseNumber.objects.create().id + FIRST_NUMBER - 1
    suffix = "".join(secrets.choice(TICKET_ALPHABET) for _ in range(6))
    return number, f"CAS-{number:05d}-{suffix}"


def resolve_customer(ref: Ref, field: str = "customer") -> Account | Contact:
    found: Account | Contact | None
    if ref.type == "account":  # a slice, not `.first()`: the id is unique, no ORDER BY
        found = next(iter(Account.objects.filter(id=ref.id)[:1]), None)
    elif ref.type == "contact":
        found = next(iter(Contact.objects.filter(id=ref.id)[:1]), None)
    else:
        raise ValidationFailed({f"{field}.type": "must be account or contact"})
    if found is None:
        raise ValidationFailed({field: f"no such {ref.type}"})
    return found


def resolve_owner(ref: Ref, field: str = "owner") -> User | Team:
    if ref.type == "user":
        found: User | Team | None = User.objects.filter(id=ref.id, is_active=True).first()
    elif ref.type == "team":
        found = Team.objects.filter(id=ref.id).first()
    else:
        raise ValidationFailed({f"{field}.type": "must be user or team"})
    if found is None:
        raise ValidationFailed({field: f"no such {ref.type}"})
    return found


def set_customer(case: Case, customer: Account | Contact) -> None:
    if isinstance(customer, Account):
        case.customer_account, case.customer_contact = customer, None
    else:
        case.customer_account, case.customer_contact = None, customer


def set_owner(case: Case, owner: User | Team) -> None:
    if isinstance(owner, User):
        case.owner_user, case.owner_team = owner, None
    else:
        case.owner_user, case.owner_team = None, owner


def customer_of(case: Case) -> Account | Contact:
    customer = case.customer_account or case.customer_contact
    assert customer is not None
    return customer


def customer_ref(case: Case) -> dict[str, str] | None:
    if case.customer_account_id:
        return {"type": "account", "id": str(case.customer_account_id)}
    if case.customer_contact_id:
        return {"type": "contact", "id": str(case.customer_contact_id)}
    return None


def owner_ref(case: Case) -> dict[str, str] | None:
    if case.owner_user_id:
        return {"type": "user", "id": str(case.owner_user_id)}
    if case.owner_team_id:
        return {"type": "team", "id": str(case.owner_team_id)}
    return None


def contact_belongs(contact: Contact, customer: Account | Contact) -> bool:
    """A case's contact is the customer itself or a contact of the customer account."""
    return workflow.contact_belongs_to(
        contact_id=contact.pk,
        contact_account_id=contact.account_id,
        customer_is_contact=isinstance(customer, Contact),
        customer_id=customer.pk,
    )


def _ref(case: Case, field: CaseField) -> dict[str, str] | None:
    for kind, column in zip(field.ref_types, field.columns, strict=True):
        value = getattr(case, f"{column}_id")
        if value is not None:
            return {"type": kind, "id": str(value)}
    return None


def _snapshot_value(case: Case, field: CaseField) -> Any:
    if field.kind == REF:
        return _ref(case, field)
    value = getattr(case, field.attribute or field.name)
    if value is None:
        return None
    if field.kind == UUID:
        return str(value)
    if field.kind == DATETIME:
        return value.isoformat()
    return value


def case_snapshot(case: Case) -> dict[str, Any]:
    """The case's audited fields (`fields.AUDITED`) under their API names."""
    return {field.name: _snapshot_value(case, field) for field in AUDITED}


def case_touch(case: Case) -> None:
    """Mark a change: the version grows and the modification time moves."""
    case.version += 1
    case.modified_at = clock.now()


def case_audit(
    *,
    actor: Actor,
    case: Case,
    action: str,
    channel: str,
    before: dict[str, Any] | None,
    details: dict[str, Any] | None = None,
) -> None:
    after = case_snapshot(case)
    changes = diff(before or {}, after) if before is not None else diff({}, after)
    audit_record(
        actor=actor,
        action=action,
        channel=channel,
        entity=case,
        entity_type="case",
        changes=changes,
        details=details,
    )


def require_not_merged(case: Case) -> None:
    """A merged case owns nothing: its records moved to its master. Refuse with
    `case_not_active` anything that would give `case` an activity, note, post, connection,
    child or queue item."""
    if case.status == Status.MERGED:
        raise CaseNotActive(
            "A merged case takes nothing new: use the case it was merged into.",
            details={
                "case_id": str(case.pk),
                "state": case.state,
                "status": case.status,
                "merged_into_id": str(case.merged_into_id) if case.merged_into_id else None,
            },
        )


def system_post(case: Case, event: str, params: Mapping[str, Any]) -> Post:
    """A post written by the system for a lifecycle event (created, resolved, routed, ...),
    its sentence given by `params` (casedesk/cases/posts.py). Refuse with `case_not_active`
    on a merged case, which owns nothing."""
    require_not_merged(case)
    return Post.objects.create(
        case=case,
        text=posts.english(event, params),
        author=None,
        event=event,
        params=dict(params),
        created_at=clock.now(),
    )


def transition_check(case: Case, target: str, config: ServiceSettings) -> None:
    """Refuse with `transition_not_allowed` unless the configured map lets `case` move from its
    status to `target` (always allowed when not enforced or when the status stays)."""
    if not workflow.transition_allowed(
        enforced=config.transitions_enforced,
        allowed=config.transitions_allowed,
        current=case.status,
        target=target,
    ):
        raise TransitionNotAllowed(
            details={"from": case.status, "to": target, "case_id": str(case.pk)}
        )
