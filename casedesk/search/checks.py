"""`casedesk check`: the search indexes match their records."""

from __future__ import annotations

from collections.abc import Iterator

from django.db import DatabaseError, connection

from casedesk.core.invariants import invariant
from casedesk.search.documents import stored_documents
from casedesk.search.rebuild import case_documents, number_ranges

MAX_REPORTED = 50


@invariant("search_index")
def case_index_matches_cases() -> Iterator[str]:
    """Every case has exactly one index row, up to date, and no row is without its case."""
    reported = 0
    for low, high in number_ranges(connection):
        expected = case_documents(connection, low, high)
        stored = stored_documents(connection, low, high)
        for number in sorted(set(expected) | set(stored)):
            problem = None
            if number not in stored:
                problem = f"case number {number} has no search index row"
            elif number not in expected:
                problem = f"search index row {number} has no case"
            else:
                doc = expected[number]
                want = (doc.title, doc.resolution, doc.description, doc.tags)
                if stored[number] != want:
                    problem = f"search index row of case number {number} is out of date"
            if problem:
                reported += 1
                if reported <= MAX_REPORTED:
                    yield problem
    if connection.vendor == "sqlite":
        # FTS5 rowids are unique; its own integrity check compares the index to the rows.
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO search_case_fts (search_case_fts, rank)"
                    " VALUES ('integrity-check', 1)"
                )
        except DatabaseError as exc:
            yield f"search index integrity check failed: {exc}"
    if reported > MAX_REPORTED:
        yield f"... and {reported - MAX_REPORTED} more search index problems"


@invariant("customer_index")
def customer_index_matches_customers() -> Iterator[str]:
    """SQLite: every account and contact has its key, words and trigram row, up to date."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'account', id, name_folded, '', '' FROM casedesk_customers_account"
            " UNION ALL SELECT 'contact', id, name_folded, email_folded, phone_digits"
            " FROM casedesk_customers_contact"
        )
        expected = {str(cid): (kind, n, e, p) for kind, cid, n, e, p in cursor.fetchall()}
        cursor.execute(
            "SELECT k.customer_id, k.kind, f.name, f.email, f.phone, k.id"
            " FROM search_customer_key k LEFT JOIN search_customer_fts f ON f.rowid = k.id"
        )
        stored = {str(cid): (kind, n, e, p, key) for cid, kind, n, e, p, key in cursor.fetchall()}
        cursor.execute("SELECT key_id, word FROM search_customer_word")
        words: dict[int, set[str]] = {}
        for key, word in cursor.fetchall():
            words.setdefault(int(key), set()).add(word)
        cursor.execute(
            "SELECT count(*) FROM search_customer_fts"
            " WHERE rowid NOT IN (SELECT id FROM search_customer_key)"
        )
        stray_rows = int(cursor.fetchone()[0])
    reported = 0
    for cid in sorted(set(expected) | set(stored)):
        problem = None
        if cid not in stored:
            problem = f"customer {cid} has no lookup index row"
        elif cid not in expected:
            problem = f"lookup index row for {cid} has no customer"
        else:
            kind, name, email, phone, key = stored[cid]
            if (kind, name, email, phone) != expected[cid] or words.get(int(key), set()) != {
                w for w in expected[cid][1].split(" ") if w
            }:
                problem = f"lookup index row of customer {cid} is out of date"
        if problem:
            reported += 1
            if reported <= MAX_REPORTED:
                yield problem
    if stray_rows:
        yield f"{stray_rows} customer trigram rows have no key"
