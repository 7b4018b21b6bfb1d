from __future__ import annotations

from typing import Any

import pytest

from casedesk.core.audit import audit_record, diff
from casedesk.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_diff_lists_only_changed_fields() -> None:
    assert diff({"a": 1, "b": 2}, {"a": 1, "b": 3}) == {"b": [2, 3]}


def test_audit_record_stores_actor_action_channel_and_changes(admin: Any) -> None:
    entry = audit_record(
        actor=admin,
        action="update",
        channel="api",
        entity=admin,
        changes={"role": ["agent", "admin"]},
    )
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.actor_id == admin.pk
    assert stored.entity_type == "user"
    assert stored.entity_id == admin.pk
    assert stored.changes == {"role": ["agent", "admin"]}
    assert stored.channel == "api"
