from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from django.db.models import Q, QuerySet

from casedesk.core.errors import NotFound
from casedesk.core.text import fold
from casedesk.customers.models import Account, Contact
from casedesk.search.customers import account_match, contact_match, ranked_matches


def account_get(*, account_id: uuid.UUID) -> Account:
    account = Account.objects.filter(id=account_id).first()
    if account is None:
        raise NotFound("No such account.")
    return account


def contact_get(*, contact_id: uuid.UUID) -> Contact:
    contact = Contact.objects.select_related("account").filter(id=contact_id).first()
    if contact is None:
        raise NotFound("No such contact.")
    return contact


def customer_get(*, customer_type: str, customer_id: uuid.UUID) -> Account | Contact:
    if customer_type == "account":
        return account_get(account_id=customer_id)
    if customer_type == "contact":
        return contact_get(contact_id=customer_id)
    raise NotFound("No such customer type.")


def _words(text: str) -> list[str]:
    return [w for w in fold(text).split(" ") if w]


def _account_filter(words: list[str]) -> Q:
    """Every word matches the folded name (index-backed: casedesk/search/customers.py)."""
    return account_match(words)


def _contact_filter(words: list[str]) -> Q:
    """Every word matches the folded name, e-mail or phone digits (index-backed)."""
    return contact_match(words)


def account_list(*, search: str | None = None) -> QuerySet[Account]:
    qs = Account.objects.all()
    words = _words(search or "")
    if words:
        qs = qs.filter(_account_filter(words))
    return qs


def contact_list(
    *, account_id: uuid.UUID | None = None, search: str | None = None
) -> QuerySet[Contact]:
    qs = Contact.objects.select_related("account")
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    words = _words(search or "")
    if words:
        qs = qs.filter(_contact_filter(words))
    return qs


def customer_contacts(
    *, customer_type: str, customer_id: uuid.UUID, search: str = "", limit: int = 200
) -> list[Contact]:
    """The contacts a record of this customer may name: the contact itself, or the first
    `limit` contacts of the account by name (those matching `search` when given)."""
    if customer_type == "contact":
        return list(contact_list().filter(id=customer_id))
    return list(contact_list(account_id=customer_id, search=search).order_by("name")[:limit])


def _rank(name_folded: str, query: str) -> int:
    if name_folded == query:
        return 0
    if name_folded.startswith(query):
        return 1
    return 2


def customer_search(
    *, text: str, limit: int = 50, types: Collection[str] = ("account", "contact")
) -> list[dict[str, Any]]:
    """Accounts and contacts (or only the `types` given) whose name (contacts: also e-mail,
    phone digits) matches every word, ranked exact > prefix > infix, then by name
    (casedesk/search/customers.py ranked_matches)."""
    words = _words(text)
    if not words:
        return []
    query = " ".join(words)
    rows: list[tuple[int, str, str, dict[str, Any]]] = []
    accounts = ranked_matches(Account, words, limit) if "account" in types else []
    contacts = ranked_matches(Contact, words, limit) if "contact" in types else []
    for account in accounts:
        rows.append(
            (
                _rank(account.name_folded, query),
                account.name_folded,
                str(account.id),
                {
                    "type": "account",
                    "id": str(account.id),
                    "name": account.name,
                    "email": account.email,
                    "phone": account.phone,
                    "account_id": None,
                },
            )
        )
    for contact in contacts:
        rows.append(
            (
                _rank(contact.name_folded, query),
                contact.name_folded,
                str(contact.id),
                {
                    "type": "contact",
                    "id": str(contact.id),
                    "name": contact.name,
                    "email": contact.email,
                    "phone": contact.phone,
                    "account_id": str(contact.account_id) if contact.account_id else None,
                },
            )
        )
    rows.sort(key=lambda row: row[:3])
    return [row[3] for row in rows[:limit]]
