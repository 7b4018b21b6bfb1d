"""Ticks at the same time fire each warning once (docs/service-levels.md#timers): on
PostgreSQL each claims its own instances (`FOR UPDATE SKIP LOCKED`), so two workers share the
work instead of waiting for each other or firing twice."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import pytest
from django.db import connection

from casedesk.events.models import Event
from casedesk.sla.models import KpiInstance
from casedesk.sla.services.timers import TickResult, sla_tick
from tests.conftest import FakeClock
from tests.support.skips import engine_only
from tests.support.sla_timers import case_make, instance_make, sla_make


@pytest.mark.django_db(transaction=True)
def test_two_ticks_at_once_fire_each_warning_once_and_share_the_work(
    fake_clock: FakeClock, agent: Any
) -> None:
    engine_only("postgresql", "row locks with SKIP LOCKED let two ticks run side by side")
    item = sla_make(on_warning=[{"type": "notify", "to": "owner"}])
    instances = [instance_make(case_make(owner=agent), item) for _ in range(240)]
    fake_clock.advance(61 * 60)
    go = threading.Barrier(2)
    results: list[TickResult] = []
    windows: list[tuple[float, float]] = []
    errors: list[BaseException] = []

    def tick() -> None:
        try:
            go.wait(timeout=30)
            started = time.monotonic()
            # Small batches, so that each tick takes many turns and the two interleave.
            results.append(sla_tick(batch=10))
            windows.append((started, time.monotonic()))
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert errors == []
    assert sum(r.warnings for r in results) == len(instances)
    assert all(r.warnings > 0 for r in results), [r.warnings for r in results]
    (a_start, a_end), (b_start, b_end) = windows
    assert a_start < b_end and b_start < a_end  # the two ran at the same time
    per_instance = Counter(e.data["instance_id"] for e in Event.objects.filter(type="sla.warning"))
    assert len(per_instance) == len(instances) and set(per_instance.values()) == {1}
    assert not KpiInstance.objects.filter(warned_at__isnull=True).exists()
