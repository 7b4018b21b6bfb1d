"""`casedesk check`: the queue and routing invariants, and the demo data that satisfies them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from casedesk.cases.models import Case
from casedesk.core import clock
from casedesk.core.invariants import run_all
from casedesk.routing.models import Queue, QueueItem, RoutingRuleSet

pytestmark = pytest.mark.django_db

MINE = {
    "one_open_queue_item_per_case",
    "closed_cases_own_no_open_queue_item",
    "closed_queue_items_have_closed_at",
    "at_most_one_active_rule_set",
}


def violations() -> list[tuple[str, str]]:
    return [(name, text) for name, text in run_all() if name in MINE]


def _drop_index(name: str) -> None:
    # Inside the test's transaction: rolled back with it on both engines.
    with connection.cursor() as cursor:
        cursor.execute(f'DROP INDEX "{name}"')


@pytest.fixture
def queued(
    new_case: Callable[..., dict[str, Any]], new_queue: Callable[..., dict[str, Any]]
) -> Any:
    case = new_case()
    queue = Queue.objects.get(id=new_queue()["id"])
    QueueItem.objects.create(case_id=case["id"], queue=queue, entered_on=clock.now())
    return case, queue


def test_check_finds_nothing_when_the_data_is_consistent(queued: Any) -> None:
    assert violations() == []


def test_check_reports_a_closed_case_when_it_still_has_an_open_item(queued: Any) -> None:
    case, _ = queued
    Case.objects.filter(id=case["id"]).update(state="resolved", status="problem_solved")
    assert [name for name, _ in violations()] == ["closed_cases_own_no_open_queue_item"]


def test_check_reports_a_case_when_it_has_two_open_items(queued: Any) -> None:
    case, queue = queued
    _drop_index("one_open_queue_item_per_case")
    QueueItem.objects.create(case_id=case["id"], queue=queue, entered_on=clock.now())
    found = violations()
    assert [name for name, _ in found] == ["one_open_queue_item_per_case"]
    assert case["id"] in found[0][1] and "2 open" in found[0][1]


def test_check_reports_a_closed_item_when_it_has_no_closing_time(queued: Any) -> None:
    QueueItem.objects.update(state="closed")
    assert [name for name, _ in violations()] == ["closed_queue_items_have_closed_at"]


def test_check_reports_two_active_sets_and_the_command_fails_when_it_finds_any() -> None:
    _drop_index("at_most_one_active_rule_set")
    now = clock.now()
    for name in ("A", "B"):
        RoutingRuleSet.objects.create(name=name, active=True, created_at=now, modified_at=now)
    assert [name for name, _ in violations()] == ["at_most_one_active_rule_set"]
    with pytest.raises(CommandError):
        call_command("check")


def test_demo_data_loads_queues_items_and_an_active_set_that_pass_the_checks() -> None:
    from casedesk.demo import data

    summary = data.load()
    assert summary["queues"] == 4 and summary["routing rule sets"] == 2
    assert RoutingRuleSet.objects.filter(active=True).count() == 1
    assert QueueItem.objects.filter(state="open").count() >= 6
    assert QueueItem.objects.filter(state="open", worked_by__isnull=False).exists()
    assert Queue.objects.filter(type="private", members__isnull=False).exists()
    assert violations() == []
