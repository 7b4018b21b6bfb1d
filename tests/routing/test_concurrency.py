"""At most one open queue item per case, with several OS processes racing on one database.

Each test runs on a fresh database of the configured engine (an SQLite file, or a new
PostgreSQL database): children are separate interpreters that call `django.setup()`, report
"ready", and start together when the parent releases them; each records its time window and the
test asserts the windows overlap, so the writes really were concurrent.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.processes import fresh_database_env, run

pytestmark = pytest.mark.slow

CHILDREN = 5
ROUNDS = 12

PRELUDE = """
import json, os, sys, time
os.environ["DJANGO_SETTINGS_MODULE"] = "casedesk.settings"
import django
django.setup()
"""

SETUP = (
    PRELUDE
    + """
from casedesk.directory.access import SYSTEM
from casedesk.cases.services.common import Ref
from casedesk.cases.services.records import case_create
from casedesk.customers.services import account_create
from casedesk.directory.services import user_create
from casedesk.routing.services.queues import queue_create

import uuid
manager = user_create(actor=SYSTEM, username=f"boss-{uuid.uuid4().hex[:8]}",
                      password="correct-horse-battery-9", role="manager")
account = account_create(actor=manager, name="Acme")
case = case_create(actor=manager, title="Racing", customer=Ref("account", account.id))
queues = [queue_create(actor=manager, name=f"Q{i}").id for i in range(int(sys.argv[1]))]
print(json.dumps({"manager": str(manager.id), "case": str(case.id),
                  "queues": [str(q) for q in queues]}))
"""
)

# Each child adds the case to the queues in its own rotation, through the service.
ADD = (
    PRELUDE
    + """
from casedesk.directory.models import User
from casedesk.routing.services.items import queue_item_add

index, rounds = int(sys.argv[1]), int(sys.argv[2])
ids = json.loads(sys.argv[3])
manager = User.objects.get(id=ids["manager"])
queues = ids["queues"]
print("ready", flush=True)
sys.stdin.readline()
start = time.time()
changed, errors = 0, []
# At least `rounds` adds and at least two seconds, so that slow starters still overlap.
j = 0
while j < rounds or time.time() - start < 2.0:
    try:
        placement = queue_item_add(actor=manager, case_id=ids["case"],
                                   queue_id=queues[(index + j) % len(queues)])
        changed += int(placement.changed)
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
    j += 1
end = time.time()
print(json.dumps({"start": start, "end": end, "changed": changed, "errors": errors}))
"""
)

# Each child inserts an open item directly, with no lock and no service: only the database's
# partial unique index stands between them.
INSERT = (
    PRELUDE
    + """
from django.db import IntegrityError, transaction
from casedesk.core import clock
from casedesk.routing.models import QueueItem

index = int(sys.argv[1])
ids = json.loads(sys.argv[3])
print("ready", flush=True)
sys.stdin.readline()
start = time.time()
try:
    with transaction.atomic():
        QueueItem.objects.create(case_id=ids["case"], queue_id=ids["queues"][index],
                                 entered_on=clock.now())
        time.sleep(0.2)  # hold the transaction open so that the others collide with it
    outcome = "inserted"
except IntegrityError:
    outcome = "refused"
end = time.time()
print(json.dumps({"start": start, "end": end, "outcome": outcome}))
"""
)

# Each child activates its own rule set again and again while the others do the same.
ACTIVATE = (
    PRELUDE
    + """
from casedesk.directory.models import User
from casedesk.routing.models import RoutingRuleSet
from casedesk.routing.services.rule_sets import rule_set_activate, rule_set_create

index, rounds = int(sys.argv[1]), int(sys.argv[2])
ids = json.loads(sys.argv[3])
manager = User.objects.get(id=ids["manager"])
mine = rule_set_create(actor=manager, name=f"Set {index}").id
print("ready", flush=True)
sys.stdin.readline()
start = time.time()
errors, active_seen = [], set()
done = 0
while done < rounds or time.time() - start < 2.0:
    done += 1
    try:
        rule_set_activate(actor=manager, rule_set_id=mine)
        active_seen.add(RoutingRuleSet.objects.filter(active=True).count())
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
end = time.time()
print(json.dumps({"start": start, "end": end, "errors": errors, "seen": sorted(active_seen)}))
"""
)

SUMMARY = (
    PRELUDE
    + """
from casedesk.cases.models import Case
from casedesk.core.models import AuditEntry
from casedesk.routing.models import QueueItem

ids = json.loads(sys.argv[1])
items = QueueItem.objects.filter(case_id=ids["case"])
print(json.dumps({
    "open": [str(q) for q in items.filter(state="open").values_list("queue_id", flat=True)],
    "all": items.count(),
    "version": Case.objects.get(id=ids["case"]).version,
    "audited": AuditEntry.objects.filter(entity_id=ids["case"], action="queue").count(),
}))
"""
)


@pytest.fixture(scope="module")
def race_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    with fresh_database_env(tmp_path_factory.mktemp("race"), migrated=True) as env:
        yield env


def _python(env: dict[str, str], script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def _race(env: dict[str, str], script: str, ids: dict[str, Any]) -> list[dict[str, Any]]:
    """Start the children, wait until every one is ready, release them together."""
    children = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(i), str(ROUNDS), json.dumps(ids)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(CHILDREN)
    ]
    try:
        for child in children:
            assert child.stdout is not None
            line = child.stdout.readline().strip()
            assert line == "ready", (line, child.stderr.read() if child.stderr else "")
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        reports = []
        for child in children:
            out, err = child.communicate(timeout=120)
            assert child.returncode == 0, err
            reports.append(json.loads(out.strip().splitlines()[-1]))
        return reports
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()


def _assert_overlap(reports: list[dict[str, Any]]) -> None:
    latest_start = max(r["start"] for r in reports)
    earliest_end = min(r["end"] for r in reports)
    assert latest_start < earliest_end, "the children did not run at the same time"


def test_concurrent_adds_to_different_queues_leave_one_open_item_when_processes_race(
    race_env: dict[str, str],
) -> None:
    ids = json.loads(_python(race_env, SETUP, str(CHILDREN)))
    reports = _race(race_env, ADD, ids)
    _assert_overlap(reports)
    assert [r["errors"] for r in reports] == [[]] * CHILDREN  # never an error, never a 500
    summary = json.loads(_python(race_env, SUMMARY, json.dumps(ids)))
    assert len(summary["open"]) == 1 and summary["open"][0] in ids["queues"]
    assert summary["all"] == 1  # every add after the first moved the single item
    changed = sum(r["changed"] for r in reports)
    assert changed >= 1
    # Each change was serialised: one audit row and one version step per change.
    assert summary["audited"] == changed
    assert summary["version"] == 1 + changed
    checked = run(race_env, "check", check=False)
    assert "queue" not in checked.stderr, checked.stderr


def test_database_lets_exactly_one_open_item_in_when_unlocked_inserts_race(
    race_env: dict[str, str],
) -> None:
    ids = json.loads(_python(race_env, SETUP, str(CHILDREN)))
    reports = _race(race_env, INSERT, ids)
    _assert_overlap(reports)
    assert sorted(r["outcome"] for r in reports) == ["inserted"] + ["refused"] * (CHILDREN - 1)
    summary = json.loads(_python(race_env, SUMMARY, json.dumps(ids)))
    assert len(summary["open"]) == 1 and summary["all"] == 1


def test_concurrent_activations_leave_exactly_one_active_set_when_processes_race(
    race_env: dict[str, str],
) -> None:
    ids = json.loads(_python(race_env, SETUP, "1"))
    reports = _race(race_env, ACTIVATE, ids)
    _assert_overlap(reports)
    assert [r["errors"] for r in reports] == [[]] * CHILDREN
    assert {n for r in reports for n in r["seen"]} == {1}  # never two, never none
    checked = run(race_env, "check", check=False)
    assert "rule_set" not in checked.stderr, checked.stderr
