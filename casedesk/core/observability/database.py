"""The database's share of a request or a job: how many queries it ran, and the figures of the
PostgreSQL connection pool.

Counting wraps the connection's execution (`connection.execute_wrapper`): one function call
per query, nothing recorded, so it stays on in production (Django's own query log needs
DEBUG and keeps every statement).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

from casedesk.core.observability import metrics


class QueryCounter:
    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


@contextlib.contextmanager
def count_queries(alias: str = DEFAULT_DB_ALIAS) -> Iterator[QueryCounter]:
    """Count the queries this thread runs on `alias` inside the block."""
    counter = QueryCounter()
    with connections[alias].execute_wrapper(counter):
        yield counter


# The pool's counters are cumulative per process; the metrics take what grew since the last
# look. Threads of a worker look in turn.
_pool_lock = threading.Lock()
_pool_seen: dict[str, int] = {}

# The pool's cumulative figures, the family each feeds, and the unit it comes in.
_POOL_COUNTERS = {
    "requests_num": ("requests", 1),
    "requests_queued": ("requests_queued", 1),
    "requests_wait_ms": ("wait_seconds", 1000),
    "requests_errors": ("requests_failed", 1),
    "connections_num": ("connections_opened", 1),
    "connections_errors": ("connection_errors", 1),
    "connections_lost": ("connections_lost", 1),
}


def pool_stats(alias: str = DEFAULT_DB_ALIAS) -> dict[str, int] | None:
    """The psycopg pool's figures of this process, or None without a pool (SQLite)."""
    wrapper = connections[alias]
    if wrapper.vendor != "postgresql" or not wrapper.settings_dict["OPTIONS"].get("pool"):
        return None
    pool = wrapper.pool  # type: ignore[attr-defined]
    return dict(pool.get_stats()) if pool is not None else None


def pool_sample(**_signal: Any) -> None:
    """Bring the pool's metrics up to date; runs after each request has handed its connection
    back (`request_finished`)."""
    stats = pool_stats()
    if stats is None:
        return
    families = metrics.db_pool()
    with _pool_lock:
        for key, (name, scale) in _POOL_COUNTERS.items():
            grown = stats.get(key, 0) - _pool_seen.get(key, 0)
            if grown > 0:
                getattr(families, name).inc(grown / scale)
            _pool_seen[key] = stats.get(key, 0)
        families.max.set(stats.get("pool_max", 0))
        families.open.set(stats.get("pool_size", 0))
        families.in_use.set(stats.get("pool_size", 0) - stats.get("pool_available", 0))
        families.waiting.set(stats.get("requests_waiting", 0))
