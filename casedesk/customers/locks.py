"""Every lock of `customers`, in the global lock order of docs/concurrency.md: an account or a
contact is a row of level 3, locked by the write that changes it, before any case."""

from __future__ import annotations

import uuid

from casedesk.core.locks import row_lock
from casedesk.customers.models import Account, Contact


def account_lock(account_id: uuid.UUID) -> Account:
    """The account, locked (`not_found`)."""
    return row_lock(Account, "No such account.", id=account_id)


def contact_lock(contact_id: uuid.UUID) -> Contact:
    """The contact, locked (`not_found`)."""
    return row_lock(Contact, "No such contact.", id=contact_id)
