"""The case-write pipeline: the one way every write to a case is finished.

A case service checks, locks and changes the case in memory, then hands it here with a
`CaseWrite` (what kind of change it was and why); a service that writes many cases at once
(bulk routing, the import) hands them all in one batch. In the caller's transaction, in this
order, each step a few statements for the whole batch:

1. the version grows and the modification time moves (a new case keeps version 1), and the
   case rows are saved (not for a write that changed no column of the case, or whose rows the
   caller inserted itself: `CaseWrite.save`);
2. the steps of the apps that build on cases run (`case_write_step_add`: routing closes the
   queue items of the cases that leave service; events writes the cases' outbox events);
3. one audit row a case with every changed field's old and new value;
4. the system posts of the timeline, for the writes that have one;
5. the term ledger (`entitlements/services/terms.py`), told the reason of the change; it may
   refuse the write by raising `entitlement_exhausted`, which rolls the transaction back;
6. the search documents (`search/indexing.py`);
7. the case counters (`casedesk/cases/counters.py`: one upsert a table for the whole batch),
   last, so that their rows stay locked only until the commit.

The result is a `CaseChange` a write: the record of what happened to the case. It is the one
place the outbox event of the case is written from (`casedesk/events/outbox.py`), in the same
transaction.

This module is the only one of `cases` that knows the ledger and the search index; `routing`
builds on `cases` (it imports it), so its step is registered from `RoutingConfig.ready()`
instead of imported here. See docs/architecture.md, "A write, step by step".
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from casedesk.cases import posts
from casedesk.cases.choices import CaseAction
from casedesk.cases.counters import counts_written
from casedesk.cases.models import Case, Post
from casedesk.cases.services.common import (
    case_snapshot,
    case_touch,
    require_not_merged,
    system_post,
)
from casedesk.core import clock
from casedesk.core.audit import audit_record, audit_record_many, diff, jsonable
from casedesk.core.bulk import BulkInsert
from casedesk.core.rows import rows_update
from casedesk.directory.access import Actor, actor_user_id
from casedesk.entitlements import rules as term_rules
from casedesk.entitlements.services.terms import case_terms_sync
from casedesk.search.documents import CaseDocument, insert_documents, write_documents
from casedesk.search.indexing import (
    case_emails,
    case_index_document,
    case_index_write,
    live_resolutions,
)

# Writes that change only who owns the case or where it is queued: neither the ledger's
# target nor the search document reads those, so both steps are skipped (they would only
# cost queries).
_NOT_INDEXED = frozenset({CaseAction.ASSIGN, CaseAction.QUEUE, CaseAction.ROUTE})
# What `case_touch` changes: saved with every write.
_TOUCHED = ("version", "modified_at")


@dataclass(frozen=True)
class SystemPost:
    """The timeline's system post for a write: its `event` and the `params` of its sentence
    (casedesk/cases/posts.py), which is stored in English as the post's text."""

    event: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return posts.english(self.event, self.params)


@dataclass(frozen=True)
class CaseWrite:
    """What a service did to a case, and why, as the pipeline needs it.

    `before`: the case's snapshot (`case_snapshot`) before the change; None for a new case.
    `details`: the audit row's details. `leaves_queue`: the case leaves service (resolved,
    cancelled, merged), so its open queue item closes. `save_fields`: the columns to save (the
    version and modification time are added); None saves every column.

    `changes`: the audited changes (`{field: [old, new]}`, JSON values), for a service that
    knows them without comparing snapshots (routing, which reads a few columns of many cases;
    the import); `before` is then `{}` for a case that existed. `save`: False when the pipeline
    must not write the case row, whose version then stays: nothing of the row changed (a
    routing decision that moved nothing), or the caller inserted the row itself (the import).
    `document`: the case's search document when the caller prepared it (the import computes
    the texts ahead of the write).
    """

    action: CaseAction
    before: Mapping[str, Any] | None
    details: Mapping[str, Any] = field(default_factory=dict)
    post: SystemPost | None = None
    leaves_queue: bool = False
    save_fields: Sequence[str] | None = None
    changes: Mapping[str, list[Any]] | None = None
    save: bool = True
    document: CaseDocument | None = None

    @property
    def created(self) -> bool:
        return self.before is None


@dataclass(frozen=True, slots=True)
class CaseChange:
    """What happened to one case in a write: the input of every step after the save, the
    outbox event among them.

    `changes` is `{field: [old, new]}` under the API names, exactly as audited (JSON values).
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


CaseWritten = tuple[Case, CaseChange]
CaseWriteStep = Callable[[Sequence[CaseWritten]], None]
_steps: list[CaseWriteStep] = []


def case_write_step_add(step: CaseWriteStep) -> None:
    """Run `step` in every case write, after the save, with the batch's `(case, change)`
    pairs (one for a single write): a step costs a few statements for the whole batch, not
    one a case. Once, however often it is added. For apps that build on `cases` and so
    cannot be imported by it; call from `ready()`."""
    if step not in _steps:
        _steps.append(step)


def case_write_finish(*, case: Case, actor: Actor, channel: str, write: CaseWrite) -> CaseChange:
    """Finish a write to `case` (changed in memory and locked by the caller, inside the
    caller's transaction): save it, then audit, post, ledger and search index, in that order.

    Refuse with `entitlement_exhausted` when the ledger cannot debit the case's restricted
    entitlement; the caller's transaction then rolls back.
    """
    return case_writes_finish(writes=[(case, write)], actor=actor, channel=channel)[0]


def case_writes_finish(
    *, writes: Sequence[tuple[Case, CaseWrite]], actor: Actor, channel: str
) -> list[CaseChange]:
    """Finish the writes to many cases (each once; locked by the caller and changed in
    memory, inside the caller's transaction), as `case_write_finish` finishes one, with the
    statements of each step written for the whole batch: a `CaseChange` a write, in order.

    Refuse as `case_write_finish` does; the caller's transaction then rolls back whole.
    """
    if not writes:
        return []
    _save(writes)
    written = [(case, _change(case, write, actor, channel)) for case, write in writes]
    for step in _steps:
        step(written)
    _audit(written, actor, channel)
    _post([(case, write.post) for case, write in writes if write.post is not None])
    indexed = [
        (case, change, write)
        for (case, change), (_, write) in zip(written, writes, strict=True)
        if change.action not in _NOT_INDEXED
    ]
    for case, change, _write in indexed:
        case_terms_sync(
            case=case,
            actor=actor,
            channel=channel,
            reason=change.ledger_reason,
            created=change.created,
        )
    _index(indexed)
    counts_written(written)
    return [change for _, change in written]


def _save(writes: Sequence[tuple[Case, CaseWrite]]) -> None:
    """Save the cases: a new case is inserted; a changed one gets its version and modification
    time moved and its `save_fields` (with those two) written, set-wise for many."""
    updated: dict[tuple[str, ...] | None, list[Case]] = {}
    created: list[Case] = []
    for case, write in writes:
        if not write.save:
            continue
        if write.created:
            created.append(case)
            continue
        case_touch(case)
        fields = (
            None
            if write.save_fields is None
            else tuple(dict.fromkeys([*write.save_fields, *_TOUCHED]))
        )
        updated.setdefault(fields, []).append(case)
    if len(created) == 1:
        created[0].save()
    elif created:
        Case.objects.bulk_create(created)
    for fields, cases in updated.items():
        if len(cases) == 1:
            cases[0].save(update_fields=None if fields is None else list(fields))
        else:
            rows_update(Case, cases, fields or _all_columns())


def _all_columns() -> list[str]:
    return [f.attname for f in Case._meta.concrete_fields if not f.primary_key]


def _change(case: Case, write: CaseWrite, actor: Actor, channel: str) -> CaseChange:
    changes = write.changes
    if changes is None:
        changes = diff(write.before or {}, case_snapshot(case))
    return CaseChange(
        case_id=case.pk,
        version=case.version,
        action=write.action,
        channel=channel,
        actor_id=actor_user_id(actor),
        created=write.created,
        changes=changes,
        details=write.details,
        leaves_queue=write.leaves_queue,
    )


def _audit(written: Sequence[CaseWritten], actor: Actor, channel: str) -> None:
    """One audit row a case; for many, one insert for each kind of write (action and
    details), the kinds in the order they first appear."""
    if len(written) == 1:
        case, change = written[0]
        audit_record(
            actor=actor,
            action=change.action,
            channel=channel,
            entity=case,
            entity_type="case",
            changes=change.changes,
            details=change.details,
        )
        return
    alike: dict[tuple[str, str], list[CaseChange]] = {}
    details: dict[int, str] = {}  # by identity: the writes of a batch often share theirs
    for _, change in written:
        found = details.get(id(change.details))
        if found is None:
            found = json.dumps(change.details, sort_keys=True, default=jsonable)
            details[id(change.details)] = found
        alike.setdefault((change.action, found), []).append(change)
    for (action, shared), changes in alike.items():
        audit_record_many(
            actor=actor,
            action=action,
            channel=channel,
            entity_type="case",
            entries=[(change.case_id, change.changes) for change in changes],
            details=json.loads(shared),
        )


def _post(posts: Sequence[tuple[Case, SystemPost]]) -> None:
    """The system posts (a merged case owns none: `case_not_active`); one insert for many."""
    if len(posts) == 1:
        case, post = posts[0]
        system_post(case, post.event, post.params)
        return
    for case, _ in posts:
        require_not_merged(case)
    if posts:
        writer = BulkInsert(
            Post,
            ("case_id", "text", "event", "params"),
            constants={"author_id": None, "created_at": clock.now()},
        )
        writer.write(
            (case.pk, post.text, post.event, json.dumps(dict(post.params))) for case, post in posts
        )


def _index(indexed: Sequence[tuple[Case, CaseChange, CaseWrite]]) -> None:
    """The search documents of the written cases: inserted for new cases, replaced for the
    others (whose live resolutions and e-mails are read in one query each)."""
    if len(indexed) == 1 and indexed[0][2].document is None:
        case, change, _ = indexed[0]
        case_index_write(case, created=change.created)
        return
    existing = [
        case.pk for case, change, write in indexed if not change.created and write.document is None
    ]
    resolutions = live_resolutions(existing) if existing else {}
    emails = case_emails(existing) if existing else {}
    new: list[CaseDocument] = []
    replaced: list[CaseDocument] = []
    for case, change, write in indexed:
        doc = write.document or case_index_document(
            case, resolution=resolutions.get(case.pk), emails=emails.get(case.pk, "")
        )
        (new if change.created else replaced).append(doc)
    if new:
        insert_documents(connection, new)
    write_documents(connection, replaced)
