"""`POST /cases/import`: bring cases from another help desk, up to 1,000 a request."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status
from pydantic import Field

from casedesk.api.auth import actor
from casedesk.api.schemas import In, Out, errors
from casedesk.cases.services import imports
from casedesk.core.choices import Channel
from casedesk.core.errors import ValidationFailed

router = Router(tags=["cases"])

MAX_IMPORT = 1000


class CasesImportIn(In):
    cases: list[imports.CaseImportRow] = Field(min_length=1, max_length=MAX_IMPORT)


class ImportedCaseOut(Out):
    row: int
    id: str
    number: int
    ticket_number: str


class CasesImportOut(Out):
    imported: int
    cases: list[ImportedCaseOut]


@router.post("/cases/import", response={201: CasesImportOut, **errors(403, 413, 422)})
def cases_import(request: HttpRequest, payload: CasesImportIn) -> Status:
    """Import up to 1,000 cases (administrators): history with its states, dates,
    resolutions and old ticket numbers, in one transaction. Any invalid case refuses the
    request (422, fields `cases.<index>.<field>` with the index from 0 as in every field
    path; `details.row` and the message count cases from 1); nothing is written. Each case
    imported is answered with its `row`, counting from 1."""
    try:
        result = imports.cases_import(
            actor=actor(request), rows=payload.cases, channel=Channel.API, batch_size=MAX_IMPORT
        )
    except ValidationFailed as exc:
        fields = exc.details.get("fields") or {}
        raise ValidationFailed(
            {_api_name(name): message for name, message in fields.items()},
            exc.message,
            details={k: v for k, v in exc.details.items() if k != "fields"},
        ) from exc
    body: dict[str, Any] = {
        "imported": len(result.cases),
        "cases": [
            {"row": c.row, "id": str(c.id), "number": c.number, "ticket_number": c.ticket_number}
            for c in result.cases
        ],
    }
    return Status(201, body)


def _api_name(name: str) -> str:
    """The service names row N (counting from 1) `rows.N`; in this body it is the case at
    index N - 1 of `cases`, named by its JSON path as every field of the API is."""
    head, _, rest = name.partition(".")
    number, _, field = rest.partition(".")
    if head != "rows" or not number.isdigit():
        return name
    return f"cases.{int(number) - 1}" + (f".{field}" if field else "")
