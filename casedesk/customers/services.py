"""Accounts and contacts: every write. Agents, managers and admins may all create and edit."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from casedesk.core import clock
from casedesk.core.audit import audit_record, diff, snapshot
from casedesk.core.choices import Channel
from casedesk.core.concurrency import ExpectedVersion, check_version
from casedesk.core.errors import ValidationFailed
from casedesk.core.text import digits, fold
from casedesk.customers.locks import account_lock, contact_lock
from casedesk.customers.models import Account, Contact
from casedesk.directory.access import Actor
from casedesk.directory.models import User
from casedesk.search.customers import customer_index_write

ACCOUNT_FIELDS = ("name", "email", "phone")
CONTACT_FIELDS = ("first_name", "last_name", "email", "phone", "account")


def _contact_name(first: str, last: str) -> str:
    return f"{first} {last}".strip()


def _index_account(account: Account) -> None:
    account.name_folded = fold(account.name)[:200]
    account.phone_digits = digits(account.phone)[:50]


def _index_contact(contact: Contact) -> None:
    contact.name = _contact_name(contact.first_name, contact.last_name)
    contact.name_folded = fold(contact.name)[:201]
    contact.email_folded = fold(contact.email)[:254]
    contact.phone_digits = digits(contact.phone)[:50]


def _account_for(account_id: uuid.UUID | None, field: str = "account_id") -> Account | None:
    if account_id is None:
        return None
    account = Account.objects.filter(id=account_id).first()
    if account is None:
        raise ValidationFailed({field: "no such account"})
    return account


@transaction.atomic
def account_create(
    *, actor: User, name: str, email: str = "", phone: str = "", channel: str = Channel.API
) -> Account:
    """Create an account (a company customer). `name` is required."""
    now = clock.now()
    account = Account(name=name, email=email, phone=phone, created_at=now, modified_at=now)
    _index_account(account)
    account.save()
    customer_index_write(account)
    audit_record(
        actor=actor,
        action="create",
        channel=channel,
        entity=account,
        changes={f: [None, getattr(account, f)] for f in ACCOUNT_FIELDS},
    )
    return account


@transaction.atomic
def account_update(
    *,
    actor: User,
    account_id: uuid.UUID,
    changes: dict[str, Any],
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> Account:
    """Apply a merge patch of `name`, `email`, `phone`. Unknown id → `not_found`."""
    account = account_lock(account_id)
    check_version(expected_version, account.version)
    before = snapshot(account, ACCOUNT_FIELDS)
    for field in ACCOUNT_FIELDS:
        if field in changes:
            setattr(account, field, changes[field] if changes[field] is not None else "")
    if not account.name.strip():
        raise ValidationFailed({"name": "is required"})
    changed = diff(before, snapshot(account, ACCOUNT_FIELDS))
    if changed:
        _index_account(account)
        account.version += 1
        account.modified_at = clock.now()
        account.save()
        customer_index_write(account)
        audit_record(actor=actor, action="update", channel=channel, entity=account, changes=changed)
    return account


@transaction.atomic
def contact_create(
    *,
    actor: Actor,
    last_name: str,
    first_name: str = "",
    email: str = "",
    phone: str = "",
    account_id: uuid.UUID | None = None,
    channel: str = Channel.API,
) -> Contact:
    """Create a contact (a person), optionally under an account (422 if it does not exist)."""
    if not last_name.strip() and not first_name.strip():
        raise ValidationFailed({"last_name": "a contact needs a name"})
    now = clock.now()
    contact = Contact(
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        account=_account_for(account_id),
        created_at=now,
        modified_at=now,
    )
    _index_contact(contact)
    contact.save()
    customer_index_write(contact)
    audit_record(
        actor=actor,
        action="create",
        channel=channel,
        entity=contact,
        changes=diff({}, snapshot(contact, CONTACT_FIELDS)),
    )
    return contact


@transaction.atomic
def contact_update(
    *,
    actor: User,
    contact_id: uuid.UUID,
    changes: dict[str, Any],
    expected_version: ExpectedVersion = None,
    channel: str = Channel.API,
) -> Contact:
    """Apply a merge patch of the contact's fields; `account_id: null` detaches it."""
    contact = contact_lock(contact_id)
    check_version(expected_version, contact.version)
    before = snapshot(contact, CONTACT_FIELDS)
    for field in ("first_name", "last_name", "email", "phone"):
        if field in changes:
            setattr(contact, field, changes[field] if changes[field] is not None else "")
    if "account_id" in changes:
        contact.account = _account_for(changes["account_id"])
    if not contact.last_name.strip() and not contact.first_name.strip():
        raise ValidationFailed({"last_name": "a contact needs a name"})
    changed = diff(before, snapshot(contact, CONTACT_FIELDS))
    if changed:
        _index_contact(contact)
        contact.version += 1
        contact.modified_at = clock.now()
        contact.save()
        customer_index_write(contact)
        audit_record(actor=actor, action="update", channel=channel, entity=contact, changes=changed)
    return contact
