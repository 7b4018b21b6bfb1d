"""Readiness: may a load balancer send this process requests?

Three checks, in order, each named in `/readyz`'s answer:
- `database`: a real query answers;
- `migrations`: no migration of the code is unapplied (asked of the database until the answer is
  "all applied", then remembered for the life of the process: a migration cannot be unapplied
  under a running release);
- `worker` (only with `CASEDESK_REQUIRE_WORKER`): a background worker sent a heartbeat within
  the last minute.

A check after a failing one is `skipped`.
"""

from __future__ import annotations

import threading

import structlog
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from casedesk.core.observability.heartbeat import worker_seen_recently

OK = "ok"
SKIPPED = "skipped"

log = structlog.get_logger("casedesk.probes")

_migrated = threading.Event()


def _database() -> str:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        # The reason goes to the log, not to an unauthenticated caller.
        log.warning("readiness_check_failed", check="database", error=str(exc).splitlines()[0])
        return "unreachable"
    return OK


def _migrations() -> str:
    if _migrated.is_set():
        return OK
    try:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:
        log.warning("readiness_check_failed", check="migrations", error=str(exc).splitlines()[0])
        return "unknown"
    if pending:
        log.warning(
            "readiness_check_failed",
            check="migrations",
            unapplied=[f"{m.app_label}.{m.name}" for m, _backwards in pending][:20],
        )
        return "unapplied"
    _migrated.set()
    return OK


def _worker() -> str:
    try:
        seen = worker_seen_recently()
    except Exception as exc:
        log.warning("readiness_check_failed", check="worker", error=str(exc).splitlines()[0])
        return "unknown"
    return OK if seen else "no_recent_heartbeat"


def readiness() -> dict[str, str]:
    """Each check's outcome: `ok`, `skipped` (after a failing one) or why it fails."""
    checks = {"database": _database, "migrations": _migrations}
    if settings.REQUIRE_WORKER:
        checks["worker"] = _worker
    outcome: dict[str, str] = {}
    failed = False
    for name, check in checks.items():
        outcome[name] = SKIPPED if failed else check()
        failed = failed or outcome[name] not in (OK, SKIPPED)
    return outcome
