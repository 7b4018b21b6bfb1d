"""Rebuild the search indexes from the records, in batches, with plain SQL.

Used by the migration that creates the indexes (a database that had cases before), by
`check` to compare, and after a test database is flushed. Only columns of the first
migrations are read, so this works at any point of the migration history.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.backends.base.base import BaseDatabaseWrapper

from casedesk.search.documents import (
    CaseDocument,
    case_document,
    emails_text,
    write_documents,
)

BATCH = 2000


def case_documents(connection: BaseDatabaseWrapper, low: int, high: int) -> dict[int, CaseDocument]:
    """The documents the cases with `low <= number < high` should have in the index."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.number, c.id, c.state, c.status, c.subject_id, c.title, c.description,"
            " (SELECT a.description FROM casedesk_cases_activity a WHERE a.case_id = c.id"
            "  AND a.type = 'case_resolution' AND a.superseded = %s LIMIT 1)"
            " FROM casedesk_cases_case c WHERE c.number >= %s AND c.number < %s",
            [False, low, high],
        )
        rows = cursor.fetchall()
        # The e-mails of those cases, in the order `indexing.case_emails` reads them.
        cursor.execute(
            "SELECT c.number, a.subject, a.description FROM casedesk_cases_activity a"
            " JOIN casedesk_cases_case c ON c.id = a.case_id"
            " WHERE a.type = 'email' AND c.number >= %s AND c.number < %s"
            " ORDER BY a.case_id, a.created_at, a.id",
            [low, high],
        )
        emails: dict[int, list[tuple[str, str]]] = {}
        for number, subject, text in cursor.fetchall():
            emails.setdefault(int(number), []).append((subject, text))
    docs = {}
    for number, case_id, state, status, subject_id, title, description, resolution in rows:
        docs[int(number)] = case_document(
            number=number,
            case_id=case_id,
            state=state,
            status=status,
            subject_id=subject_id,
            title=title,
            description=description,
            resolution=resolution,
            emails=emails_text(emails.get(int(number), [])),
        )
    return docs


def number_ranges(connection: BaseDatabaseWrapper) -> Iterator[tuple[int, int]]:
    """Half-open number ranges of BATCH numbers covering every case and every index row."""
    index = "(SELECT max(rowid) FROM search_case_fts)"
    low_index = "(SELECT min(rowid) FROM search_case_fts)"
    if connection.vendor != "sqlite":
        index = "(SELECT max(number) FROM search_case_doc)"
        low_index = "(SELECT min(number) FROM search_case_doc)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT min(number), max(number), {low_index}, {index} FROM casedesk_cases_case"
        )
        low_c, high_c, low_i, high_i = cursor.fetchone()
    lows = [v for v in (low_c, low_i) if v is not None]
    highs = [v for v in (high_c, high_i) if v is not None]
    if not lows:
        return
    low, high = min(lows), max(highs)
    for start in range(int(low), int(high) + 1, BATCH):
        yield start, start + BATCH


def rebuild_cases(connection: BaseDatabaseWrapper) -> int:
    from casedesk.search.documents import delete_documents, stored_documents

    count = 0
    for low, high in number_ranges(connection):
        docs = case_documents(connection, low, high)
        orphans = set(stored_documents(connection, low, high)) - set(docs)
        delete_documents(connection, orphans)
        write_documents(connection, list(docs.values()))
        count += len(docs)
    return count


def rebuild_customers(connection: BaseDatabaseWrapper) -> int:
    """SQLite's customer lookup index (PostgreSQL indexes the columns themselves)."""
    if connection.vendor != "sqlite":
        return 0
    from casedesk.search.customers import write_rows

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM search_customer_fts")
        cursor.execute("DELETE FROM search_customer_word")
        cursor.execute("DELETE FROM search_customer_key")
        cursor.execute("SELECT id, name_folded FROM casedesk_customers_account")
        accounts = [("account", _hex(i), name, "", "") for i, name in cursor.fetchall()]
        cursor.execute(
            "SELECT id, name_folded, email_folded, phone_digits FROM casedesk_customers_contact"
        )
        contacts = [("contact", _hex(i), n, e, p) for i, n, e, p in cursor.fetchall()]
    rows = accounts + contacts
    for start in range(0, len(rows), BATCH):
        write_rows(rows[start : start + BATCH])
    return len(rows)


def _hex(value: object) -> str:
    return str(value).replace("-", "")


def rebuild_all(connection: BaseDatabaseWrapper) -> None:
    rebuild_cases(connection)
    rebuild_customers(connection)


def clear_when_records_gone(connection: BaseDatabaseWrapper) -> None:
    """Empty the indexes when their records are gone (a flushed database): rows whose cases
    and customers were deleted without the services would otherwise stay behind."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM casedesk_cases_case)")
        if not cursor.fetchone()[0]:
            table = "search_case_fts" if connection.vendor == "sqlite" else "search_case_doc"
            cursor.execute(f"DELETE FROM {table}")
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM casedesk_customers_account)"
                " OR EXISTS (SELECT 1 FROM casedesk_customers_contact)"
            )
            if not cursor.fetchone()[0]:
                for table in ("search_customer_fts", "search_customer_word", "search_customer_key"):
                    cursor.execute(f"DELETE FROM {table}")
