"""Parent and child cases (SPEC §7): one level, at most `max_child_cases` children."""

from __future__ import annotations

import uuid

from casedesk.cases.choices import State
from casedesk.cases.models import Case
from casedesk.cases.selectors import service_settings
from casedesk.core.errors import CaseHierarchy, CaseNotActive, ValidationFailed


def _lock_parent(parent_id: uuid.UUID, field: str = "parent_id") -> Case:
    parent = Case.objects.select_for_update().filter(id=parent_id).first()
    if parent is None:
        raise ValidationFailed({field: "no such case"})
    return parent


def _check_can_take_children(parent: Case, adding: int = 1) -> None:
    if parent.parent_id is not None:
        raise CaseHierarchy(
            "A child case cannot have children.",
            details={"case_id": str(parent.pk), "reason": "depth"},
        )
    if parent.state != State.ACTIVE:
        raise CaseNotActive(
            "Child cases can only be added to an active case.", details={"case_id": str(parent.pk)}
        )
    limit = service_settings().max_child_cases
    count = Case.objects.filter(parent_id=parent.pk).count()
    if count + adding > limit:
        raise CaseHierarchy(
            "The parent case has too many child cases.",
            details={
                "case_id": str(parent.pk),
                "reason": "max_child_cases",
                "max_child_cases": limit,
            },
        )


def parent_for_new_child(parent_id: uuid.UUID) -> Case:
    """The locked parent for a new child case, or a refusal (`case_hierarchy`, 422)."""
    parent = _lock_parent(parent_id)
    _check_can_take_children(parent)
    return parent


def set_parent(case: Case, parent_id: uuid.UUID | None) -> None:
    """Give `case` a parent (or none). A parent cannot become a child; no second level."""
    if parent_id is None:
        case.parent = None
        return
    if parent_id == case.pk:
        raise CaseHierarchy(
            "A case cannot be its own parent.", details={"case_id": str(case.pk), "reason": "self"}
        )
    if case.parent_id == parent_id:
        return
    parent = _lock_parent(parent_id)
    if Case.objects.filter(parent_id=case.pk).exists():
        raise CaseHierarchy(
            "A parent case cannot become a child.",
            details={"case_id": str(case.pk), "reason": "parent_as_child"},
        )
    _check_can_take_children(parent)
    case.parent = parent
