"""Set-wise writes give the driver what Django itself would: one converter of Python values to
raw-SQL parameters (`casedesk.core.bulk.db_value_converter`), used by the set-wise inserts
(`casedesk.core.bulk`) and updates (`casedesk.core.rows`)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.db.models import Model

from casedesk.cases.choices import State
from casedesk.cases.models import Case
from casedesk.core.bulk import BulkInsert, db_value_converter
from casedesk.core.models import AuditEntry
from casedesk.core.rows import rows_update
from casedesk.customers.models import Account
from tests.support import skips

pytestmark = pytest.mark.django_db

ROME = ZoneInfo("Europe/Rome")
AT = dt.datetime(2026, 3, 29, 1, 30, 15, 250, tzinfo=dt.UTC)  # the night clocks go forward
KEY = uuid.UUID("12345678-1234-5678-1234-567812345678")


def _convert(model: type[Model], name: str, value: Any) -> Any:
    return db_value_converter(model._meta.get_field(name), connection)(value)


def _django(model: type[Model], name: str, value: Any) -> Any:
    return model._meta.get_field(name).get_db_prep_save(value, connection)


@pytest.mark.parametrize(
    ("model", "name", "value"),
    [
        (Case, "title", "Fibra assente"),
        (Case, "title", ""),
        (Case, "description", None),
        (Case, "state", State.RESOLVED),  # a choice, which Django stores as it is
        (Case, "number", 1001),
        (Case, "number", "1001"),  # not an int: Django's own conversion
        (Case, "version", 3),
        (Case, "version", True),  # not an int: Django's own conversion
        (Case, "decrement_entitlement_terms", False),
        (Case, "decrement_entitlement_terms", 1),
        (Case, "id", KEY),
        (Case, "id", str(KEY)),  # text: Django's own conversion
        (Case, "owner_user", KEY),  # a foreign key takes its target's kind
        (Case, "owner_user", None),
        (Case, "created_at", AT),
        (Case, "created_at", AT.astimezone(ROME)),
        (Case, "created_at", AT.replace(tzinfo=ZoneInfo("UTC"))),
        (Case, "resolved_at", None),
        (AuditEntry, "id", 7),
        (AuditEntry, "actor", None),
    ],
)
def test_a_value_is_given_as_django_saves_it_when_written_set_wise(
    model: type[Model], name: str, value: Any
) -> None:
    assert _convert(model, name, value) == _django(model, name, value)


def test_an_aware_time_is_naive_utc_text_when_on_sqlite() -> None:
    skips.engine_only("sqlite", "SQLite stores times as text")
    expected = "2026-03-29 01:30:15.000250"
    assert _convert(Case, "created_at", AT) == expected
    assert _convert(Case, "created_at", AT.astimezone(ROME)) == expected


def test_a_uuid_is_32_hex_digits_when_on_sqlite() -> None:
    skips.engine_only("sqlite", "SQLite stores UUIDs as text")
    assert _convert(Case, "owner_user", KEY) == "12345678123456781234567812345678"


@pytest.mark.parametrize("value", [{"title": [None, "Fibra"]}, [], {"n": 1.5, "ok": True}])
def test_json_is_text_by_the_default_encoder_when_on_either_engine(value: Any) -> None:
    assert _convert(AuditEntry, "changes", value) == json.dumps(value)


def test_json_none_is_the_json_null_when_written_set_wise() -> None:
    # Django would write SQL NULL; no JSON column of casedesk takes NULL, so set-wise writes
    # keep what they always wrote.
    assert _convert(AuditEntry, "details", None) == "null"


@pytest.mark.django_db(transaction=True)
def test_inserted_rows_read_back_as_given_when_inserted_set_wise() -> None:
    entity = uuid.uuid4()
    with transaction.atomic():
        BulkInsert(
            AuditEntry,
            ("entity_id", "changes", "at"),
            constants={
                "actor_id": None,
                "action": "create",
                "channel": "api",
                "entity_type": "case",
            },
        ).write([(entity, {"title": [None, "Fibra"]}, AT.astimezone(ROME))])
    entry = AuditEntry.objects.get(entity_id=entity)
    assert (entry.at, entry.changes, entry.details, entry.entity_type) == (
        AT,
        {"title": [None, "Fibra"]},
        {},
        "case",
    )


@pytest.mark.django_db(transaction=True)
def test_updated_rows_read_back_as_given_when_updated_set_wise() -> None:
    accounts = [
        Account.objects.create(name=f"Acme {i} Srl", created_at=AT, modified_at=AT)
        for i in range(3)
    ]
    for i, account in enumerate(accounts):
        account.name = f"Renamed {i} Srl"
        account.modified_at = (AT + dt.timedelta(hours=i)).astimezone(ROME)
        account.version = 2 + i
    with transaction.atomic():
        rows_update(Account, accounts, ("name", "modified_at", "version"))
    found = Account.objects.filter(pk__in=[a.pk for a in accounts]).order_by("name")
    assert [(a.name, a.modified_at, a.version) for a in found] == [
        (f"Renamed {i} Srl", AT + dt.timedelta(hours=i), 2 + i) for i in range(3)
    ]


@pytest.mark.django_db(transaction=True)
def test_json_reads_back_as_given_when_updated_set_wise() -> None:
    entries = [
        AuditEntry.objects.create(at=AT, action="create", channel="api", entity_type="case")
        for _ in range(3)
    ]
    changes: list[Any] = [{"title": [None, "Fibra"]}, [1, "due"], {"ok": True, "n": 1.5}]
    for entry, change in zip(entries, changes, strict=True):
        entry.changes = change
    with transaction.atomic():
        rows_update(AuditEntry, entries, ("changes",))
    found = AuditEntry.objects.filter(pk__in=[e.pk for e in entries]).order_by("pk")
    assert [e.changes for e in found] == changes
