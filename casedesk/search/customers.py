"""The customer lookup's indexes and match conditions (docs/customers.md#the-customer-lookup), the
same rule on both engines.

Rule: every word must match; a word of 3+ characters matches anywhere in the folded name
(contacts: also in the folded e-mail, and its digits in the phone digits when the word is a
phone number); a shorter word matches the start of a word of the name.

PostgreSQL answers these LIKE conditions from pg_trgm GIN indexes on the folded columns.
SQLite has no such index: the services keep a customer key (an integer of our own), an FTS5
trigram table over the folded text (3+ characters) and a table of name words (B-tree prefix
ranges for 1–2 characters).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from casedesk.core.text import digits
from casedesk.customers.models import Account, Contact

_TOP = "\U0010ffff"  # sorts after every character: [w, w + _TOP) is "starts with w"


def phone_number_of(word: str) -> str | None:
    """The digits of `word` when it is a phone number of 3+ digits (`+39-06...`), else None."""
    number = digits(word)
    if len(number) >= 3 and len(number) == len(word.replace("+", "").replace("-", "")):
        return number
    return None


def _like_name(field: str, word: str) -> Q:
    if len(word) >= 3:
        return Q(**{f"{field}__contains": word})
    return Q(**{f"{field}__startswith": word}) | Q(**{f"{field}__contains": f" {word}"})


def _like_account(words: list[str]) -> Q:
    condition = Q()
    for word in words:
        condition &= _like_name("name_folded", word)
    return condition


def _like_contact(words: list[str]) -> Q:
    condition = Q()
    for word in words:
        matches = _like_name("name_folded", word)
        if len(word) >= 3:
            matches |= Q(email_folded__contains=word)
        number = phone_number_of(word)
        if number:
            matches |= Q(phone_digits__contains=number)
        condition &= matches
    return condition


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _fts_expression(kind: str, words: list[str]) -> str:
    parts = []
    for word in words:
        if kind == "account":
            parts.append(f"name : {_phrase(word)}")
            continue
        options = [f"{{name email}} : {_phrase(word)}"]
        number = phone_number_of(word)
        if number:
            options.append(f"phone : {_phrase(number)}")
        parts.append("(" + " OR ".join(options) + ")")
    return " AND ".join(parts)


def _indexed_ids(kind: str, words: list[str], cap: int | None = None) -> RawSQL:
    """Ids of the customers of `kind` matching every word, from the SQLite lookup index.

    Driven by the most selective side: the trigram match of the long words when there are
    any, otherwise the name-word range of the first short word; each other short word is then
    checked per candidate through the key's own words. With a `cap`, the driving side reads
    at most four times that many index entries (accounts and contacts share the index).
    """
    sql = "SELECT k.customer_id FROM search_customer_key k WHERE k.kind = %s"
    params: list[str] = [kind]
    long_words = [w for w in words if len(w) >= 3]
    short_words = [w for w in words if len(w) < 3]
    inner_cap = f" LIMIT {int(cap) * 4}" if cap is not None else ""
    if long_words:
        sql += (
            " AND k.id IN (SELECT rowid FROM search_customer_fts"
            f" WHERE search_customer_fts MATCH %s{inner_cap})"
        )
        params.append(_fts_expression(kind, long_words))
    elif short_words:
        first, short_words = short_words[0], short_words[1:]
        sql += (
            " AND k.id IN (SELECT key_id FROM search_customer_word"
            f" WHERE word >= %s AND word < %s{inner_cap})"
        )
        params += [first, first + _TOP]
    for word in short_words:
        sql += (
            " AND EXISTS (SELECT 1 FROM search_customer_word w INDEXED BY search_customer_word_key"
            " WHERE w.key_id = k.id AND w.word >= %s AND w.word < %s)"
        )
        params += [word, word + _TOP]
    if cap is not None:
        sql += " LIMIT %s"
        params.append(str(cap))
    return RawSQL(sql, params)


def account_match(words: list[str]) -> Q:
    """Accounts whose folded name matches every word (index-backed on both engines)."""
    if connection.vendor == "sqlite":
        return Q(id__in=_indexed_ids("account", words))
    return _like_account(words)


def contact_match(words: list[str]) -> Q:
    """Contacts whose folded name, e-mail or phone digits match every word."""
    if connection.vendor == "sqlite":
        return Q(id__in=_indexed_ids("contact", words))
    return _like_contact(words)


def like_account(words: list[str]) -> Q:
    """The same rule without the index: what `check` and tests compare the index against."""
    return _like_account(words)


def like_contact(words: list[str]) -> Q:
    return _like_contact(words)


# Writes (SQLite only: PostgreSQL's indexes follow the columns by themselves) -----------------


def _rows(customer: Account | Contact) -> tuple[str, str, str, str, str]:
    if isinstance(customer, Account):
        return ("account", customer.pk.hex, customer.name_folded, "", "")
    return (
        "contact",
        customer.pk.hex,
        customer.name_folded,
        customer.email_folded,
        customer.phone_digits,
    )


def customer_index_write(customer: Account | Contact) -> None:
    """Bring the lookup index of an account or contact in step with its folded columns, in the
    caller's transaction. Call after every write of a customer's name, e-mail or phone."""
    if connection.vendor != "sqlite":
        return
    customer_index_write_many([customer])


def customer_index_write_many(customers: Iterable[Account | Contact]) -> None:
    rows = [_rows(c) for c in customers]
    if not rows or connection.vendor != "sqlite":
        return
    write_rows(rows)


def write_rows(rows: list[tuple[str, str, str, str, str]]) -> None:
    """Index `(kind, customer id hex, name, email, phone digits)` rows (SQLite)."""
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO search_customer_key (kind, customer_id) VALUES (%s, %s)"
            " ON CONFLICT (customer_id) DO NOTHING",
            [(kind, cid) for kind, cid, *_ in rows],
        )
        keys: dict[str, int] = {}
        ids = [cid for _k, cid, *_ in rows]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT customer_id, id FROM search_customer_key WHERE customer_id IN ({marks})",
                chunk,
            )
            keys.update({cid: key for cid, key in cursor.fetchall()})
        key_rows = [(keys[cid],) for _k, cid, *_ in rows]
        cursor.executemany("DELETE FROM search_customer_word WHERE key_id = %s", key_rows)
        cursor.executemany("DELETE FROM search_customer_fts WHERE rowid = %s", key_rows)
        cursor.executemany(
            "INSERT INTO search_customer_word (word, key_id) VALUES (%s, %s)",
            [
                (word, keys[cid])
                for _k, cid, name, _e, _p in rows
                for word in sorted(set(name.split(" ")))
                if word
            ],
        )
        cursor.executemany(
            "INSERT INTO search_customer_fts (rowid, name, email, phone) VALUES (%s, %s, %s, %s)",
            [(keys[cid], name, email, phone) for _k, cid, name, email, phone in rows],
        )


# The ranked lookup ----------------------------------------------------------------------------

INFIX_CAP = 500


def _prefix(query: str) -> Q:
    """Names that start with the whole query (B-tree: the folded name's index)."""
    if connection.vendor == "sqlite":  # SQLite's LIKE is case-insensitive: no index; a range is
        return Q(name_folded__gte=query, name_folded__lt=query + _TOP)
    return Q(name_folded__startswith=query)


def ranked_tiers(model: type[Account] | type[Contact], words: list[str]) -> list[QuerySet[Any]]:
    """The three tiers of the lookup, each ordered by name: the exact name, names that start
    with the whole query, the other matches (see `ranked_matches`)."""
    query = " ".join(words)
    order = ("name_folded", "id")
    manager = model.objects  # type: ignore[attr-defined]
    kind = "account" if model is Account else "contact"
    if connection.vendor == "sqlite":
        match = Q(id__in=_indexed_ids(kind, words, cap=INFIX_CAP))
    else:
        match = _like_account(words) if kind == "account" else _like_contact(words)
    return [
        manager.filter(name_folded=query).order_by(*order),
        manager.filter(_prefix(query)).exclude(name_folded=query).order_by(*order),
        manager.filter(match).exclude(_prefix(query)).order_by(*order),
    ]


def ranked_matches(model: type[Account] | type[Contact], words: list[str], limit: int) -> list[Any]:
    """The best `limit` records of `model` for `words`: exact name, then names that start with
    the query, then the other matches, each tier by name.

    A name equal to, or starting with, the whole query matches every word, so the first two
    tiers are plain B-tree lookups that stop at `limit`. The last tier is ordered by name among
    at most INFIX_CAP index matches on SQLite (PostgreSQL's planner orders and stops itself):
    a one-letter or very common fragment stays fast, and the user types on to narrow it.
    """
    found: list[Any] = []
    for tier in ranked_tiers(model, words):
        if len(found) >= limit:
            break
        found += list(tier[: limit - len(found)])
    return found
