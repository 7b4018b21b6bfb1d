"""The case-write pipeline: the one way every write to a case is finished.

A case service checks, locks and changes the case in memory, then hands it here with a
`CaseWrite` (what kind of change it was and why). In the caller's transaction, in this order:

1. the version grows and the modification time moves (a new case keeps version 1), and the
   case row is saved;
2. the steps of the apps that build on cases run (`case_write_step_add`: routing closes the
   queue item of a case that leaves service; events writes the case's outbox event);
3. one audit row with every changed field's old and new value;
4. the system post of the timeline, if the write has one;
5. the term ledger (`entitlements/services/terms.py`), told the reason of the change; it may
   refuse the write by raising `entitlement_exhausted`, which rolls the transaction back;
6. the search document (`search/indexing.py`).

The result is a `CaseChange`: the record of what happened to the case. It is the one place
the outbox event of the case is written from (`casedesk/events/outbox.py`), in the same
transaction.

This module is the only one of `cases` that knows the ledger and the search index; `routing`
builds on `cases` (it imports it), so its step is registered from `RoutingConfig.ready()`
instead of imported here. See docs/architecture.md, "A write, step by step".
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from casedesk.cases.choices import CaseAction
from casedesk.cases.models import Case
from casedesk.cases.services.common import case_snapshot, case_touch, system_post
from casedesk.core.audit import audit_record, diff
from casedesk.directory.access import Actor, actor_user_id
from casedesk.entitlements import rules as term_rules
from casedesk.entitlements.services.terms import case_terms_sync
from casedesk.search.indexing import case_index_write

# Writes that change only who owns the case: neither the ledger's target nor the search
# document reads the owner, so those steps are skipped (they would only cost queries).
_OWNER_ONLY = frozenset({CaseAction.ASSIGN})
# What `case_touch` changes: saved with every write.
_TOUCHED = ("version", "modified_at")


@dataclass(frozen=True)
class SystemPost:
    """The timeline's system post for a write (`event` as stored on the post)."""

    event: str
    text: str


@dataclass(frozen=True)
class CaseWrite:
    """What a service did to a case, and why, as the pipeline needs it.

    `before`: the case's snapshot (`case_snapshot`) before the change; None for a new case.
    `details`: the audit row's details. `leaves_queue`: the case leaves service (resolved,
    cancelled, merged), so its open queue item closes. `save_fields`: the columns to save (the
    version and modification time are added); None saves every column.
    """

    action: CaseAction
    before: Mapping[str, Any] | None
    details: Mapping[str, Any] = field(default_factory=dict)
    post: SystemPost | None = None
    leaves_queue: bool = False
    save_fields: Sequence[str] | None = None

    @property
    def created(self) -> bool:
        return self.before is None


@dataclass(frozen=True)
class CaseChange:
    """What happened to one case in a write: the input of every step after the save, the
    outbox event among them.

    `changes` is `{field: [old, new]}` under the API names, exactly as audited.
    """

    case_id: uuid.UUID
    version: int
    action: CaseAction
    channel: str
    actor_id: uuid.UUID | None
    created: bool
    changes: Mapping[str, list[Any]]
    details: Mapping[str, Any]
    leaves_queue: bool

    @property
    def ledger_reason(self) -> str:
        """Why the ledger's rows for this write are written (`LedgerReason`)."""
        return term_rules.ledger_reason(action=self.action, changed=self.changes.keys())


CaseWriteStep = Callable[[Case, CaseChange], None]
_steps: list[CaseWriteStep] = []


def case_write_step_add(step: CaseWriteStep) -> None:
    """Run `step` in every case write, after the save (once, however often it is added).
    For apps that build on `cases` and so cannot be imported by it; call from `ready()`."""
    if step not in _steps:
        _steps.append(step)


def case_write_finish(*, case: Case, actor: Actor, channel: str, write: CaseWrite) -> CaseChange:
    """Finish a write to `case` (changed in memory and locked by the caller, inside the
    caller's transaction): save it, then audit, post, ledger and search index, in that order.

    Refuse with `entitlement_exhausted` when the ledger cannot debit the case's restricted
    entitlement; the caller's transaction then rolls back.
    """
    if write.created:
        case.save()
    else:
        case_touch(case)
        if write.save_fields is None:
            case.save()
        else:
            case.save(update_fields=list(dict.fromkeys([*write.save_fields, *_TOUCHED])))
    change = CaseChange(
        case_id=case.pk,
        version=case.version,
        action=write.action,
        channel=channel,
        actor_id=actor_user_id(actor),
        created=write.created,
        changes=diff(write.before or {}, case_snapshot(case)),
        details=write.details,
        leaves_queue=write.leaves_queue,
    )
    for step in _steps:
        step(case, change)
    audit_record(
        actor=actor,
        action=change.action,
        channel=channel,
        entity=case,
        entity_type="case",
        changes=change.changes,
        details=change.details,
    )
    if write.post is not None:
        system_post(case, write.post.event, write.post.text)
    if change.action not in _OWNER_ONLY:
        case_terms_sync(
            case=case,
            actor=actor,
            channel=channel,
            reason=change.ledger_reason,
            created=change.created,
        )
        case_index_write(case, created=change.created)
    return change
