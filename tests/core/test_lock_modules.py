"""Where the locks live (docs/concurrency.md, "Where the locks live"): every row lock
(`select_for_update`) and every transaction-scoped advisory lock of the product is taken in a
module named `locks.py` (one an app, and `core/locks.py` for the primitives), whose functions
follow the global lock order. Migrations may lock as they need."""

from __future__ import annotations

import re
from pathlib import Path

import casedesk

ROOT = Path(casedesk.__file__).parent
# A row lock, or an advisory lock held until the transaction ends. `core/inuse.py` takes a
# session-level advisory lock on a connection of its own (the database in use by a process),
# which no transaction waits for: not a lock of the order.
LOCKING = re.compile(r"select_for_update|pg_advisory_xact_lock|pg_advisory_lock\(")


def _sources() -> list[Path]:
    return [p for p in sorted(ROOT.rglob("*.py")) if "migrations" not in p.relative_to(ROOT).parts]


def test_locks_are_taken_only_in_locks_modules_when_the_code_is_scanned() -> None:
    outside = {
        str(path.relative_to(ROOT)): sorted(set(LOCKING.findall(path.read_text())))
        for path in _sources()
        if path.name != "locks.py" and LOCKING.search(path.read_text())
    }
    assert outside == {}


def test_every_app_that_locks_has_its_own_locks_module() -> None:
    lockers = {p.relative_to(ROOT).parts[0] for p in _sources() if p.name == "locks.py"}
    assert lockers == {
        "core",
        "cases",
        "routing",
        "entitlements",
        "customers",
        "directory",
        "attachments",
        "mail",
        "events",
        "sla",
    }
