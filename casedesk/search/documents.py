"""What the case index holds for one case, and how each engine stores it.

SQLite: the FTS5 table `search_case_fts`, its rowid the case's `number`; columns title,
resolution, description (stems) and tags (state, status and subject as single tokens, to
narrow a match inside the index). PostgreSQL: the table `search_case_doc` keyed by `number`,
whose generated `document` tsvector weighs title A, resolution B, description C.

The description column also holds the subject and text of the case's e-mails, incoming and
outgoing (`emails_text`): the case search finds a case by what was written in its e-mails.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

from casedesk.search.text import indexed


def state_tag(state: str) -> str:
    return f"state{state}"


def status_tag(status: str) -> str:
    return "status" + status.replace("_", "")


def subject_tag(subject_id: uuid.UUID | str) -> str:
    value = subject_id if isinstance(subject_id, uuid.UUID) else uuid.UUID(str(subject_id))
    return f"subj{value.hex}"


@dataclass(frozen=True)
class CaseDocument:
    number: int
    case_id: uuid.UUID
    state: str
    status: str
    subject_id: uuid.UUID | None
    title: str
    resolution: str
    description: str

    @property
    def tags(self) -> str:
        tags = [state_tag(self.state), status_tag(self.status)]
        if self.subject_id is not None:
            tags.append(subject_tag(self.subject_id))
        return " ".join(tags)


# The e-mails of a case indexed with it, at most this many characters (a long thread is
# indexed from its first message on).
EMAILS_TEXT_MAX = 200_000


def emails_text(emails: Iterable[tuple[str | None, str | None]]) -> str:
    """The searchable text of a case's e-mails, `(subject, text)` in the order they were
    recorded: what `case_document` indexes with the description."""
    text = "\n\n".join(f"{subject or ''}\n{body or ''}" for subject, body in emails)
    return text[:EMAILS_TEXT_MAX]


def _uuid(value: Any) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(str(value))


def case_document(
    *,
    number: int,
    case_id: Any,
    state: str,
    status: str,
    subject_id: Any,
    title: str,
    description: str,
    resolution: str | None,
    emails: str = "",
) -> CaseDocument:
    """The index row of a case, through the same text pipeline as every query; `emails`:
    the text of its e-mails (`emails_text`), indexed with the description."""
    found = _uuid(case_id)
    assert found is not None
    title_terms, resolution_terms, description_terms = case_texts(
        title=title, description=description, resolution=resolution, emails=emails
    )
    return CaseDocument(
        number=int(number),
        case_id=found,
        state=state,
        status=status,
        subject_id=_uuid(subject_id),
        title=title_terms,
        resolution=resolution_terms,
        description=description_terms,
    )


def case_texts(
    *, title: str, description: str, resolution: str | None, emails: str = ""
) -> tuple[str, str, str]:
    """The indexed title, resolution and description (with the e-mails' text) of a case
    document (the costly part of `case_document`, which a bulk writer may run ahead of the
    rest)."""
    body = f"{description}\n\n{emails}" if emails else description
    return indexed(title), indexed(resolution or ""), indexed(body)


def write_documents(connection: BaseDatabaseWrapper, docs: Sequence[CaseDocument]) -> None:
    """Insert or replace the index rows of `docs` (in the caller's transaction)."""
    if not docs:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.executemany(
                "DELETE FROM search_case_fts WHERE rowid = %s", [(d.number,) for d in docs]
            )
            cursor.executemany(
                "INSERT INTO search_case_fts (rowid, title, resolution, description, tags)"
                " VALUES (%s, %s, %s, %s, %s)",
                [(d.number, d.title, d.resolution, d.description, d.tags) for d in docs],
            )
        else:
            cursor.executemany(
                "INSERT INTO search_case_doc (number, case_id, state, status, subject_id,"
                " title, resolution, description) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (number) DO UPDATE SET case_id = EXCLUDED.case_id,"
                " state = EXCLUDED.state, status = EXCLUDED.status,"
                " subject_id = EXCLUDED.subject_id, title = EXCLUDED.title,"
                " resolution = EXCLUDED.resolution, description = EXCLUDED.description",
                [
                    (
                        d.number,
                        d.case_id,
                        d.state,
                        d.status,
                        d.subject_id,
                        d.title,
                        d.resolution,
                        d.description,
                    )
                    for d in docs
                ],
            )


def delete_documents(connection: BaseDatabaseWrapper, numbers: Iterable[int]) -> None:
    rows = [(n,) for n in numbers]
    if not rows:
        return
    table = (
        "search_case_fts WHERE rowid"
        if connection.vendor == "sqlite"
        else "search_case_doc WHERE number"
    )
    with connection.cursor() as cursor:
        cursor.executemany(f"DELETE FROM {table} = %s", rows)


def stored_documents(
    connection: BaseDatabaseWrapper, low: int, high: int
) -> dict[int, tuple[str, str, str, str]]:
    """The stored rows with `low <= number < high`: number → (title, resolution, description,
    tags), where PostgreSQL's tags are rebuilt from its state, status and subject columns."""
    out: dict[int, tuple[str, str, str, str]] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT rowid, title, resolution, description, tags FROM search_case_fts"
                " WHERE rowid >= %s AND rowid < %s",
                [low, high],
            )
            for number, title, resolution, description, tags in cursor.fetchall():
                out[int(number)] = (title, resolution, description, tags)
        else:
            cursor.execute(
                "SELECT number, case_id, state, status, subject_id, title, resolution,"
                " description FROM search_case_doc WHERE number >= %s AND number < %s",
                [low, high],
            )
            for row in cursor.fetchall():
                doc = CaseDocument(
                    number=row[0],
                    case_id=row[1],
                    state=row[2],
                    status=row[3],
                    subject_id=row[4],
                    title=row[5],
                    resolution=row[6],
                    description=row[7],
                )
                out[int(row[0])] = (doc.title, doc.resolution, doc.description, doc.tags)
    return out


def insert_documents(connection: BaseDatabaseWrapper, docs: Iterable[CaseDocument]) -> None:
    """Insert the index rows of new cases, whose numbers have no row yet (a bulk import), in
    the caller's transaction: `write_documents` without its replace, and on PostgreSQL with a
    streamed `COPY` (the text pipeline of one document runs while the server indexes the
    previous ones)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.executemany(
                "INSERT INTO search_case_fts (rowid, title, resolution, description, tags)"
                " VALUES (%s, %s, %s, %s, %s)",
                [(d.number, d.title, d.resolution, d.description, d.tags) for d in docs],
            )
        else:
            with cursor.cursor.copy(
                "COPY search_case_doc (number, case_id, state, status, subject_id, title,"
                " resolution, description) FROM STDIN"
            ) as copy:
                for d in docs:
                    copy.write_row(
                        (
                            d.number,
                            d.case_id,
                            d.state,
                            d.status,
                            d.subject_id,
                            d.title,
                            d.resolution,
                            d.description,
                        )
                    )
