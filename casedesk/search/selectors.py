"""Case search on the engines' full-text indexes: what `/cases?search=` and similar cases use.

Both engines see only the stems of the text pipeline, quoted and ANDed; a ticket number is
an exact lookup. Ranking (bm25 on SQLite, ts_rank on PostgreSQL) scores every row it is given,
so a match is narrowed inside the index first (state, status, subject) and capped to the newest
`cap` matching cases (by case number) before it is ranked: a frequent word over a million
cases then costs about as much as a rare one. On SQLite the rank is computed here (see
`bm25_without_idf`), on PostgreSQL by ts_rank on the capped rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Expression, F, Q, QuerySet
from django.db.models.expressions import RawSQL

from casedesk.cases.choices import Status
from casedesk.cases.models import Case
from casedesk.search.documents import state_tag, status_tag, subject_tag
from casedesk.search.text import query_terms, ticket_query

# Column weights, title > resolution > description (docs/search.md#similar-cases): BM25 on SQLite
# (title, resolution, description) and ts_rank on PostgreSQL ({D, C, B, A}).
BM25_WEIGHTS = (10.0, 4.0, 1.0)
BM25_AVERAGE_LENGTHS = (6.0, 15.0, 25.0)
BM25_K1 = 1.2
BM25_B = 0.75
TS_RANK_WEIGHTS = "{0.0, 0.2, 0.5, 1.0}"
LIST_CAP = 500


def bm25_without_idf(terms: set[str], columns: Sequence[str]) -> float:
    """BM25 of the stored stems of one case, weighted per column, without the IDF factor.

    FTS5's own bm25() counts, on every call, every row that contains each query phrase (its
    IDF): a fixed cost of ~9 ms at 100,000 cases that grows with the table. Every candidate
    here contains every term (the terms are ANDed), so the IDF only shifts weight between
    terms; the candidates are few (capped), so scoring them here costs well under that.
    """
    score = 0.0
    for text, weight, average in zip(columns, BM25_WEIGHTS, BM25_AVERAGE_LENGTHS, strict=True):
        tokens = text.split()
        if not tokens:
            continue
        norm = BM25_K1 * (1 - BM25_B + BM25_B * len(tokens) / average)
        for term in terms:
            tf = tokens.count(term)
            if tf:
                score += weight * tf * (BM25_K1 + 1) / (tf + norm)
    return score


@dataclass(frozen=True)
class Narrowing:
    """Filters applied inside the index, before ranking and capping."""

    states: Sequence[str] = ()
    statuses: Sequence[str] = ()
    subject_ids: Sequence[uuid.UUID] = ()
    exclude_merged: bool = False


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def fts_expression(terms: Sequence[str], narrowing: Narrowing) -> str:
    """An FTS5 MATCH expression of quoted stems, ANDed, narrowed by tags. No user syntax."""
    parts = [f"{{title resolution description}} : {_phrase(t)}" for t in terms]
    for tags in (
        [state_tag(s) for s in narrowing.states],
        [status_tag(s) for s in narrowing.statuses],
        [subject_tag(s) for s in narrowing.subject_ids],
    ):
        if tags:
            parts.append("(" + " OR ".join(f"tags : {_phrase(t)}" for t in tags) + ")")
    expression = " AND ".join(parts)
    if narrowing.exclude_merged:
        expression = f"({expression}) NOT tags : {_phrase(status_tag(Status.MERGED))}"
    return expression


def _pg_filters(narrowing: Narrowing) -> tuple[str, list[Any]]:
    sql = ""
    params: list[Any] = []
    if narrowing.states:
        sql += " AND state = ANY(%s)"
        params.append(list(narrowing.states))
    if narrowing.statuses:
        sql += " AND status = ANY(%s)"
        params.append(list(narrowing.statuses))
    if narrowing.subject_ids:
        sql += " AND subject_id = ANY(%s)"
        params.append(list(narrowing.subject_ids))
    if narrowing.exclude_merged:
        sql += " AND status <> %s"
        params.append(str(Status.MERGED))
    return sql, params


def case_matches(
    terms: Sequence[str], narrowing: Narrowing, *, cap: int, ranked: bool
) -> list[tuple[int, float]]:
    """`(number, rank)` of the newest `cap` cases whose text has every term, narrowed; rank is
    larger for better matches (0.0 when not `ranked`). Newest first."""
    if not terms:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            columns = "title, resolution, description" if ranked else "''"
            cursor.execute(
                f"SELECT rowid, {columns} FROM search_case_fts WHERE search_case_fts MATCH %s"
                " ORDER BY rowid DESC LIMIT %s",
                [fts_expression(terms, narrowing), cap],
            )
            if not ranked:
                return [(int(row[0]), 0.0) for row in cursor.fetchall()]
            wanted = set(terms)
            return [
                (int(number), bm25_without_idf(wanted, (title, resolution, description)))
                for number, title, resolution, description in cursor.fetchall()
            ]
        else:
            where, params = _pg_filters(narrowing)
            text = " ".join(terms)
            score = "0.0"
            if ranked:
                score = f"ts_rank('{TS_RANK_WEIGHTS}', document, plainto_tsquery('simple', %s))"
            inner = (
                "SELECT number, document FROM search_case_doc"
                f" WHERE document @@ plainto_tsquery('simple', %s){where}"
                " ORDER BY number DESC LIMIT %s"
            )
            cursor.execute(
                f"SELECT number, {score} FROM ({inner}) AS found ORDER BY number DESC",
                [*([text] if ranked else []), text, *params, cap],
            )
        return [(int(number), float(rank)) for number, rank in cursor.fetchall()]


class _IndexProbe(Expression):
    """True for a case row whose indexed text has every term: the index is probed with the
    row's own number. The column is compiled by the query, so the probe stays tied to its row
    however the query is nested (a page's keys inside the statement that reads the page)."""

    def __init__(self, terms: Sequence[str]) -> None:
        super().__init__(output_field=BooleanField())
        self.terms = list(terms)
        self.number: Any = F("number")

    def get_source_expressions(self) -> list[Any]:
        return [self.number]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.number,) = exprs

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        number, number_params = compiler.compile(self.number)
        if connection.vendor == "sqlite":
            sql = (
                "EXISTS (SELECT 1 FROM search_case_fts WHERE search_case_fts MATCH %s"
                f" AND search_case_fts.rowid = {number})"
            )
            return sql, [fts_expression(self.terms, Narrowing()), *number_params]
        sql = (
            f"EXISTS (SELECT 1 FROM search_case_doc d WHERE d.number = {number}"
            " AND d.document @@ plainto_tsquery('simple', %s))"
        )
        return sql, [*number_params, " ".join(self.terms)]


def case_search_filter(
    qs: QuerySet[Case], text: str, *, narrowing: Narrowing, selective: bool
) -> QuerySet[Case]:
    """`qs` narrowed to the cases a search for `text` finds.

    A ticket number (`CAS-01001-K7Q2M9`) finds exactly that case; a bare number (`1001`)
    finds the case with that number as well as the cases whose text has it. Words match when
    every stem is in the title, description or resolution. When `selective` (the other filters
    already pick few cases: a customer, an owner, a queue, a parent) each of those is checked
    against the index; otherwise the newest LIST_CAP matches, narrowed in the index, are kept.
    """
    ticket = ticket_query(text)
    if ticket is not None and ticket.ticket_number is not None:
        return qs.filter(ticket_number=ticket.ticket_number)
    by_number = Q(number=ticket.number) if ticket is not None else Q(pk__in=[])
    if ticket is not None and text.strip().lower().startswith(("cas", "#")):
        return qs.filter(by_number)
    terms = query_terms(text)
    if not terms:
        return qs.filter(by_number) if ticket is not None else qs.none()
    if selective:
        return qs.filter(by_number | Q(_IndexProbe(terms)))
    return qs.filter(by_number | Q(number__in=_newest_matches(terms, narrowing, LIST_CAP)))


def _newest_matches(terms: Sequence[str], narrowing: Narrowing, cap: int) -> RawSQL:
    """The numbers of the newest `cap` cases whose text has every term, narrowed in the index:
    a subquery the list runs once, inside its own statement."""
    if connection.vendor == "sqlite":
        sql = (
            "SELECT rowid FROM search_case_fts WHERE search_case_fts MATCH %s"
            " ORDER BY rowid DESC LIMIT %s"
        )
        return RawSQL(sql, [fts_expression(terms, narrowing), cap])
    where, params = _pg_filters(narrowing)
    sql = (
        "SELECT number FROM search_case_doc"
        f" WHERE document @@ plainto_tsquery('simple', %s){where} ORDER BY number DESC LIMIT %s"
    )
    return RawSQL(sql, [" ".join(terms), *params, cap])
