"""Writes to the case search index, in the same transaction as the case itself."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from django.db import connection

from casedesk.cases.choices import ActivityType
from casedesk.cases.models import Activity, Case
from casedesk.search.documents import (
    CaseDocument,
    case_document,
    emails_text,
    write_documents,
)


def live_resolution(case: Case) -> str | None:
    """The description of the case's live (not superseded) resolution activity, if any."""
    return (
        Activity.objects.filter(
            case_id=case.pk, type=ActivityType.CASE_RESOLUTION, superseded=False
        )
        .values_list("description", flat=True)
        .first()
    )


def live_resolutions(case_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The descriptions of the live resolution activities of the cases that have one, by
    case: `live_resolution` for many cases in one query."""
    rows = Activity.objects.filter(
        case_id__in=list(case_ids), type=ActivityType.CASE_RESOLUTION, superseded=False
    ).values_list("case_id", "description")
    return dict(rows)


def case_emails(case_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The text of the e-mails (incoming and outgoing) of the cases that have any, by case
    (`emails_text`), in one query."""
    rows = (
        Activity.objects.filter(case_id__in=list(case_ids), type=ActivityType.EMAIL)
        .order_by("case_id", "created_at", "id")
        .values_list("case_id", "subject", "description")
    )
    found: dict[uuid.UUID, list[tuple[str, str]]] = {}
    for case_id, subject, description in rows:
        found.setdefault(case_id, []).append((subject, description))
    return {case_id: emails_text(emails) for case_id, emails in found.items()}


def case_index_document(case: Case, *, resolution: str | None, emails: str = "") -> CaseDocument:
    """The search document of `case` as it is in memory, with its live `resolution` and the
    text of its e-mails."""
    return case_document(
        number=case.number,
        case_id=case.pk,
        state=case.state,
        status=case.status,
        subject_id=case.subject_id,
        title=case.title,
        description=case.description,
        resolution=resolution,
        emails=emails,
    )


def case_index_write(case: Case, *, created: bool = False) -> None:
    """Bring the search index row of `case` in step with the case (title, description,
    resolution, e-mails, state, status, subject). Every service that changes those calls it,
    inside its transaction, so a search sees every committed write. `created`: the case is
    new in this transaction and has no resolution or e-mail yet (they are not read)."""
    resolution = None if created else live_resolution(case)
    emails = "" if created else case_emails([case.pk]).get(case.pk, "")
    write_documents(connection, [case_index_document(case, resolution=resolution, emails=emails)])
