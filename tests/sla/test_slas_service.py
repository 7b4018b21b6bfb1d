"""The SLA services and the selectors the KPI engine reads (docs/service-levels.md#slas)."""

from __future__ import annotations

from typing import Any

import pytest

from casedesk.core.errors import Forbidden, SlaActive, ValidationFailed
from casedesk.core.models import AuditEntry
from casedesk.sla.models import Calendar, Sla, SlaItem
from casedesk.sla.services import calendars, slas

pytestmark = pytest.mark.django_db


def _item(**fields: Any) -> dict[str, Any]:
    return {
        "name": "Respond",
        "kpi": "first_response",
        "warn_after_minutes": 30,
        "fail_after_minutes": 60,
        **fields,
    }


def _calendar(manager: Any) -> Calendar:
    return calendars.calendar_create(
        actor=manager, name="Office", time_zone="Europe/Rome", week={"mon": [["09:00", "18:00"]]}
    )


def test_agents_may_not_create_slas(agent: Any) -> None:
    with pytest.raises(Forbidden):
        slas.sla_create(actor=agent, name="Standard", items=[_item()])
    assert not Sla.objects.exists()


def test_create_stores_the_items_in_order_with_their_calendar(manager: Any) -> None:
    calendar = _calendar(manager)
    sla = slas.sla_create(
        actor=manager,
        name="  Standard ",
        items=[_item(name="Second"), _item(name="First", kpi="resolve", calendar_id=calendar.pk)],
    )
    items = list(SlaItem.objects.filter(sla=sla).order_by("position"))
    assert [(i.position, i.name, i.kpi) for i in items] == [
        (0, "Second", "first_response"),
        (1, "First", "resolve"),
    ]
    assert items[0].calendar_id is None and items[1].calendar_id == calendar.pk
    assert sla.name == "Standard" and sla.active is False
    assert sla.pause_statuses == ["on_hold", "waiting_for_details"]


def test_pause_statuses_are_kept_once_each_in_the_order_of_the_statuses(manager: Any) -> None:
    sla = slas.sla_create(
        actor=manager,
        name="S",
        items=[_item()],
        pause_statuses=["waiting_for_details", "researching", "waiting_for_details"],
    )
    assert sla.pause_statuses == ["waiting_for_details", "researching"]
    empty = slas.sla_create(actor=manager, name="T", items=[_item()], pause_statuses=[])
    assert empty.pause_statuses == []


def test_every_bad_place_is_named_at_once(manager: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        slas.sla_create(
            actor=manager,
            name="S",
            items=[
                _item(
                    conditions=[{"field": "priority", "op": "contains", "value": "hi"}],
                    warn_after_minutes=True,
                ),
                "not an item",
                _item(name="respond", on_warning=[{"type": "queue", "queue_id": "nope"}]),
            ],
        )
    assert set(caught.value.details["fields"]) == {
        "items.0.conditions.0.op",
        "items.0.warn_after_minutes",
        "items.1",
        "items.2.name",
        "items.2.on_warning.0.queue_id",
    }


def test_an_item_needs_its_times(manager: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        slas.sla_create(actor=manager, name="S", items=[{"name": "X", "kpi": "resolve"}])
    assert set(caught.value.details["fields"]) == {
        "items.0.warn_after_minutes",
        "items.0.fail_after_minutes",
    }


def test_update_of_an_active_sla_is_refused_whatever_it_changes(manager: Any) -> None:
    sla = slas.sla_create(actor=manager, name="S", items=[_item()])
    slas.sla_activate(actor=manager, sla_id=sla.pk)
    for changes in ({"name": "T"}, {"is_default": True}, {}):
        with pytest.raises(SlaActive):
            slas.sla_update(actor=manager, sla_id=sla.pk, changes=changes)


def test_activation_needs_an_item(manager: Any) -> None:
    sla = slas.sla_create(actor=manager, name="S", items=[_item()])
    SlaItem.objects.filter(sla=sla).delete()  # not possible through the services
    with pytest.raises(ValidationFailed) as caught:
        slas.sla_activate(actor=manager, sla_id=sla.pk)
    assert "items" in caught.value.details["fields"]


def test_editing_an_inactive_sla_replaces_items_and_audits_the_before_and_after(
    manager: Any,
) -> None:
    sla = slas.sla_create(actor=manager, name="S", items=[_item()])
    slas.sla_update(
        actor=manager,
        sla_id=sla.pk,
        changes={"items": [_item(name="Resolve", kpi="resolve")]},
        expected_version=1,
    )
    assert list(SlaItem.objects.filter(sla=sla).values_list("name", flat=True)) == ["Resolve"]
    entry = AuditEntry.objects.get(entity_id=sla.pk, action="update")
    before, after = entry.changes["items"]
    assert [i["name"] for i in before] == ["Respond"] and [i["name"] for i in after] == ["Resolve"]
