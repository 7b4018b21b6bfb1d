"""Parent and child cases (docs/cases.md): one level, at most `max_child_cases` children.

Attaching a child to a case, or detaching one, changes the parent (its children decide whether
it may close, and count against its limit): it needs the right to change the parent, whoever
asks — the API, the web UI or any other caller of these services.

The rules themselves are pure (`workflow.parent_link_refusal`, `merge_hierarchy_refusal`,
`close_policy_decision`); this module reads and locks the records they need.
"""

from __future__ import annotations

import uuid
from typing import Any

from casedesk.cases import workflow
from casedesk.cases.choices import State
from casedesk.cases.locks import case_children_lock, case_parent_lock
from casedesk.cases.models import Case
from casedesk.cases.permissions import case_change_allowed
from casedesk.cases.selectors import service_settings
from casedesk.core.errors import CaseHierarchy, CaseNotActive, Forbidden, ValidationFailed
from casedesk.directory.access import Actor, actor_user

_MESSAGES = {
    workflow.SELF: "A case cannot be its own parent.",
    workflow.DEPTH: "A child case cannot have children.",
    workflow.PARENT_AS_CHILD: "A parent case cannot become a child.",
    workflow.MAX_CHILD_CASES: "The parent case has too many child cases.",
    workflow.PARENT_OF_OTHER: "One case is the parent of the other.",
    workflow.DIFFERENT_PARENT: "A child case can only be merged into a case of the same parent.",
}


def hierarchy_error(reason: str, *, case_id: object, **details: Any) -> CaseHierarchy:
    """The `case_hierarchy` refusal for a reason of the pure rules."""
    return CaseHierarchy(
        _MESSAGES[reason],
        details={"case_id": str(case_id), "reason": reason, **details},
    )


def child_count(case_id: uuid.UUID) -> int:
    return Case.objects.filter(parent_id=case_id).count()


def family_facts(case: Case, children: int | None = None) -> workflow.FamilyFacts:
    return workflow.FamilyFacts(
        id=case.pk,
        parent_id=case.parent_id,
        child_count=child_count(case.pk) if children is None else children,
    )


def require_parent_change(actor: Actor, parent: Case) -> None:
    """Refuse with `forbidden` unless `actor` may change `parent` (`SYSTEM` may change any)."""
    user = actor_user(actor)
    if user is not None and not case_change_allowed(user, parent):
        raise Forbidden(
            "You may not change the parent case, so you may not attach children to it or "
            "detach them from it.",
            details={"case_id": str(parent.pk)},
        )


def _lock_parent(actor: Actor, parent_id: uuid.UUID, field: str = "parent_id") -> Case:
    parent = case_parent_lock(parent_id=parent_id)
    if parent is None:
        raise ValidationFailed({field: "no such case"})
    require_parent_change(actor, parent)
    if parent.state != State.ACTIVE:
        raise CaseNotActive(
            "Child cases can only be added to an active case.",
            details={"case_id": str(parent.pk), "state": parent.state},
        )
    return parent


def _link(child: workflow.FamilyFacts, parent: Case) -> None:
    limit = service_settings().max_child_cases
    reason = workflow.parent_link_refusal(
        child=child, parent=family_facts(parent), max_child_cases=limit
    )
    if reason is not None:
        extra = {"max_child_cases": limit} if reason == workflow.MAX_CHILD_CASES else {}
        subject = parent.pk if reason in (workflow.DEPTH, workflow.MAX_CHILD_CASES) else child.id
        raise hierarchy_error(reason, case_id=subject, parent_id=str(parent.pk), **extra)


def parent_for_new_child(*, actor: Actor, parent_id: uuid.UUID) -> Case:
    """The locked parent for a new child case. Refuse with `validation_error` (no such case),
    `forbidden` (`actor` may not change the parent), `case_not_active` (a closed parent) or
    `case_hierarchy` (a child as parent, too many)."""
    parent = _lock_parent(actor, parent_id)
    _link(workflow.FamilyFacts(id=None, parent_id=None, child_count=0), parent)
    return parent


def set_parent(case: Case, parent_id: uuid.UUID | None, *, actor: Actor) -> None:
    """Give `case` a parent (or none). `actor` must be allowed to change the parent it gets
    and the one it leaves (`forbidden`); a parent cannot become a child; no second level; at
    most `max_child_cases` children (`case_hierarchy`); the parent must be active."""
    if parent_id is not None and parent_id == case.pk:
        raise hierarchy_error(workflow.SELF, case_id=case.pk)
    if case.parent_id == parent_id:
        return
    parent = _lock_parent(actor, parent_id) if parent_id is not None else None
    if case.parent_id is not None:
        previous = case.parent
        assert previous is not None
        require_parent_change(actor, previous)
    if parent is not None:
        _link(family_facts(case), parent)
    case.parent = parent


def active_children_locked(case: Case) -> list[Case]:
    """The case's active children, locked in id order (after the parent, which the caller
    holds)."""
    return case_children_lock(case, active_only=True)


def children_locked(case: Case) -> list[Case]:
    """Every child of the case, locked in id order."""
    return case_children_lock(case)
