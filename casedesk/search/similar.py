"""Similar cases (docs/search.md#similar-cases): candidates for a case, by subject (and
sub-subjects), words and state.

Filters combine with AND; a filter not given does not apply, except the state, which defaults
to resolved. Never the case itself, never a merged case. With words, candidates are ranked
(title > resolution > description; ties by recency, i.e. the newer case number first) among
the newest SIMILAR_CAP matches; without words they come newest first with rank 0.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from casedesk.cases.choices import ActivityType, State, Status
from casedesk.cases.models import Activity, Case, Connection
from casedesk.cases.selectors import case_identity
from casedesk.catalog.selectors import subject_descendant_ids
from casedesk.core.pagination import decode_cursor, encode_cursor
from casedesk.search.selectors import Narrowing, case_matches
from casedesk.search.text import query_terms, ticket_query

SIMILAR_CAP = 500
CANDIDATE_RELATED = ("customer_account", "customer_contact")
ANY_STATE = "any"


@dataclass(frozen=True)
class Candidate:
    case: Case
    rank: float
    resolution: str | None


@dataclass(frozen=True)
class CandidatePage:
    items: list[Candidate]
    next: str | None


def live_resolutions(case_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """case id → the description of its live resolution activity (one query)."""
    rows = Activity.objects.filter(
        case_id__in=list(case_ids), type=ActivityType.CASE_RESOLUTION, superseded=False
    ).values_list("case_id", "description")
    return dict(rows)


def _ranked_numbers(
    case: Case, q: str, states: list[str], subject_ids: list[uuid.UUID]
) -> list[tuple[int, float]]:
    ticket = ticket_query(q)
    if ticket is not None and (ticket.ticket_number or q.strip().lower().startswith("cas")):
        found = Case.objects.filter(
            Q(ticket_number=ticket.ticket_number)
            if ticket.ticket_number
            else Q(number=ticket.number)
        ).values_list("number", flat=True)
        return [(n, 1.0) for n in found]
    terms = query_terms(q)
    narrowing = Narrowing(states=states, subject_ids=subject_ids, exclude_merged=True)
    matches = case_matches(terms, narrowing, cap=SIMILAR_CAP, ranked=True)
    if ticket is not None:  # a bare number: that case first, then the text matches
        matches = [(ticket.number, float("inf")), *[m for m in matches if m[0] != ticket.number]]
    return sorted(matches, key=lambda m: (-m[1], -m[0]))


def _newest_ids(
    case: Case, states: list[str], subject_ids: list[uuid.UUID], count: int
) -> list[uuid.UUID]:
    """Ids of the newest `count` candidates without words, newest first.

    One index range per (subject, state) pair, each capped, in one UNION ALL: a database
    cannot return several ranges of `case_subject_idx` in one order without sorting all their
    rows first.
    """
    base = Case.objects.exclude(pk=case.pk).exclude(status=Status.MERGED)
    newest = ("-created_at", "-id")
    if not subject_ids:
        qs = base.filter(state__in=states) if states else base
        return list(qs.order_by(*newest).values_list("id", flat=True)[:count])
    parts: list[str] = []
    params: list[Any] = []
    for i, (subject_id, state) in enumerate(
        (s, t) for s in subject_ids for t in (states or [x.value for x in State])
    ):
        qs = base.filter(subject_id=subject_id, state=state).order_by(*newest)
        sql, part_params = qs.values_list("created_at", "id")[:count].query.sql_with_params()
        parts.append(f"SELECT * FROM ({sql}) AS r{i}")
        params += part_params
    with connection.cursor() as cursor:
        cursor.execute(
            " UNION ALL ".join(parts) + " ORDER BY 1 DESC, 2 DESC LIMIT %s", [*params, count]
        )
        return [uuid.UUID(str(row[1])) for row in cursor.fetchall()]


def similar_cases(
    *,
    case_id: uuid.UUID,
    q: str | None = None,
    subject_id: uuid.UUID | None = None,
    include_subsubjects: bool = False,
    state: str = State.RESOLVED,
    limit: int = 20,
    cursor: str | None = None,
) -> CandidatePage:
    """Ranked candidates similar to the case (404 when the case does not exist)."""
    case = case_identity(case_id=case_id)
    states = [] if state == ANY_STATE else [state]
    subject_ids: list[uuid.UUID] = []
    if subject_id is not None:
        subject_ids = subject_descendant_ids(subject_id) if include_subsubjects else [subject_id]
    scope = f"similar:{case_id}:{q}:{subject_id}:{include_subsubjects}:{state}"
    offset = decode_cursor(scope, cursor, 1)[0] if cursor else 0
    if not isinstance(offset, int) or offset < 0:
        offset = 0
    # A candidate shows its own fields and its customer: no owner, no queue.
    base = (
        Case.objects.select_related(*CANDIDATE_RELATED)
        .exclude(pk=case.pk)
        .exclude(status=Status.MERGED)
    )
    if q and q.strip():
        ranked = [m for m in _ranked_numbers(case, q, states, subject_ids) if m[0] != case.number]
        window = ranked[offset : offset + limit + 1]
        rank_of = dict(window)
        found = {c.number: c for c in base.filter(number__in=list(rank_of))}
        ordered = [(found[n], r) for n, r in window if n in found]
    else:
        ids = _newest_ids(case, states, subject_ids, offset + limit + 1)[offset:]
        found_by_id = {c.pk: c for c in base.filter(pk__in=ids)}
        ordered = [(found_by_id[i], 0.0) for i in ids if i in found_by_id]
    has_more = len(ordered) > limit
    ordered = ordered[:limit]
    resolutions = live_resolutions([c.pk for c, _ in ordered])
    items = [
        Candidate(case=c, rank=(r if r != float("inf") else 1.0), resolution=resolutions.get(c.pk))
        for c, r in ordered
    ]
    next_cursor = encode_cursor(scope, [offset + limit]) if has_more else None
    return CandidatePage(items=items, next=next_cursor)


def connections_for_case(*, case_id: uuid.UUID, known: bool = False) -> QuerySet[Connection]:
    """The case's connections as seen from it: those it made, and those made to it by cases it
    did not connect itself (one per pair). 404 when the case does not exist (`known`: the
    caller has read it)."""
    if not known:
        case_identity(case_id=case_id)
    made_back = Connection.objects.filter(case_id=case_id, other_id=OuterRef("case_id"))
    return Connection.objects.filter(
        Q(case_id=case_id) | (Q(other_id=case_id) & ~Exists(made_back))
    ).select_related("case", "other")


def connection_other(connection: Connection, case_id: uuid.UUID) -> Case:
    return connection.other if connection.case_id == case_id else connection.case


def case_solution(*, case_id: uuid.UUID) -> Connection | None:
    """The case's solution: its newest connection marked "solution found"."""
    return (
        Connection.objects.filter(case_id=case_id, solution_found=True)
        .select_related("other")
        .order_by("-created_at", "-id")
        .first()
    )
