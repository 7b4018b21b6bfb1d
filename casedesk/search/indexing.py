"""Writes to the case search index, in the same transaction as the case itself."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from django.db import connection

from casedesk.cases.choices import ActivityType
from casedesk.cases.models import Activity, Case
from casedesk.search.documents import CaseDocument, case_document, write_documents


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


def case_index_document(case: Case, *, resolution: str | None) -> CaseDocument:
    """The search document of `case` as it is in memory, with its live `resolution`."""
    return case_document(
        number=case.number,
        case_id=case.pk,
        state=case.state,
        status=case.status,
        subject_id=case.subject_id,
        title=case.title,
        description=case.description,
        resolution=resolution,
    )


def case_index_write(case: Case, *, created: bool = False) -> None:
    """Bring the search index row of `case` in step with the case (title, description,
    resolution, state, status, subject). Every service that changes those calls it, inside
    its transaction, so a search sees every committed write. `created`: the case is new in
    this transaction and has no resolution yet (it is not read)."""
    resolution = None if created else live_resolution(case)
    write_documents(connection, [case_index_document(case, resolution=resolution)])
