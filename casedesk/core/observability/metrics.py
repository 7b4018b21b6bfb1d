"""Every Prometheus metric family of casedesk, defined once, here.

Under `casedesk serve` each worker process writes its values to files in
`<data dir>/metrics` (prometheus_client's multiprocess mode; `casedesk serve` empties the folder
when it starts and gunicorn's `child_exit` hook drops an exited worker's live gauges), and
`/metrics` adds up every worker's. Anywhere else (tests, `runserver`) the values live in the
process.

Adding a family for a feature
-----------------------------
A feature that counts or times something it does adds ONE line in the section at the end of
this file and calls it where the thing happens:

    MAIL_RECEIVED = Counter("casedesk_mail_received_total", "Messages fetched.", ["mailbox"])
    ...
    metrics.MAIL_RECEIVED.labels(mailbox=box.name).inc()

(A Gauge also names how the workers' values add up: `multiprocess_mode="livesum"`.)

A value that is a state of the database rather than an event of one process (jobs waiting and
the oldest one's age) is read when `/metrics` is scraped, by a function registered with
`@at_scrape` that yields metric families:

    @at_scrape
    def jobs_waiting() -> Iterator[Metric]:
        family = GaugeMetricFamily("casedesk_jobs_waiting", "Jobs waiting.", labels=["queue"])
        for queue, waiting in job_selectors.waiting_by_queue():
            family.add_metric([queue], waiting)
        yield family

The job queue's families (`casedesk_jobs_*`) are read at scrape, at the end of this file.
Names reserved for the features still to come (define each only when its feature exists; never
a placeholder value): `casedesk_mail_received_total{mailbox}`,
`casedesk_mail_sent_total{outcome}`, `casedesk_sla_firings_total{kind}`,
`casedesk_webhook_delivery_failures_total`. docs/operations.md lists the alerts on them.

Label values must be few: a route (the URL pattern), a status, a queue name; never an id, a
user or a raw path.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar, cast

import structlog
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.metrics_core import Metric

# Read once, as prometheus_client itself does when it is first imported: whether this
# process's values go to files that /metrics adds up.
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
_log = structlog.get_logger("casedesk.metrics")
_F = TypeVar("_F")

# --- requests -------------------------------------------------------------------------------

HTTP_REQUESTS = Counter(
    "casedesk_http_requests_total",
    "HTTP requests answered, by route (the URL pattern), method and status.",
    ["route", "method", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "casedesk_http_request_duration_seconds",
    "Time from the request's arrival in casedesk to its answer, by route and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)

# --- the database ---------------------------------------------------------------------------
# Each engine's families appear with the engine's first use, so /metrics shows only those of the
# engine in use.


class DbPoolFamilies:
    """PostgreSQL: Django's psycopg pool of each worker, sampled after every request."""

    def __init__(self) -> None:
        self.max = Gauge(
            "casedesk_db_pool_max_connections",
            "Connections the pools may open (summed over the worker processes).",
            multiprocess_mode="livesum",
        )
        self.open = Gauge(
            "casedesk_db_pool_open_connections",
            "Connections the pools hold open.",
            multiprocess_mode="livesum",
        )
        self.in_use = Gauge(
            "casedesk_db_pool_in_use_connections",
            "Connections lent to a request, as last seen by each worker.",
            multiprocess_mode="livesum",
        )
        self.waiting = Gauge(
            "casedesk_db_pool_waiting_requests",
            "Requests waiting for a connection, as last seen by each worker.",
            multiprocess_mode="livesum",
        )
        self.requests = Counter(
            "casedesk_db_pool_requests_total", "Connections asked of the pools."
        )
        self.requests_queued = Counter(
            "casedesk_db_pool_requests_queued_total",
            "Connections asked of the pools that had to wait for one to be free.",
        )
        self.wait_seconds = Counter(
            "casedesk_db_pool_wait_seconds_total", "Time spent waiting for a pooled connection."
        )
        self.requests_failed = Counter(
            "casedesk_db_pool_requests_failed_total",
            "Connections asked of the pools and not given in CASEDESK_DB_POOL_TIMEOUT (a 503).",
        )
        self.connections_opened = Counter(
            "casedesk_db_pool_connections_opened_total",
            "Connections the pools opened to the server.",
        )
        self.connection_errors = Counter(
            "casedesk_db_pool_connection_errors_total",
            "Attempts of the pools to connect to the server that failed.",
        )
        self.connections_lost = Counter(
            "casedesk_db_pool_connections_lost_total", "Pooled connections found broken."
        )


class SqliteFamilies:
    """SQLite: one writer at a time; the wait for the write lock is its queue."""

    def __init__(self) -> None:
        self.write_lock_wait = Histogram(
            "casedesk_sqlite_write_lock_wait_seconds",
            "Time a transaction waited for the database's write lock.",
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20),
        )
        self.write_lock_timeouts = Counter(
            "casedesk_sqlite_write_lock_timeouts_total",
            "Transactions refused because the write lock stayed taken past the timeout (a 503).",
        )


_families_lock = threading.Lock()
_families: dict[type, Any] = {}


def _once(kind: type[_F]) -> _F:
    """The one instance of `kind` (a family registered twice would be refused)."""
    with _families_lock:
        if kind not in _families:
            _families[kind] = kind()
        return cast(_F, _families[kind])


def db_pool() -> DbPoolFamilies:
    return _once(DbPoolFamilies)


def sqlite() -> SqliteFamilies:
    return _once(SqliteFamilies)


# --- read at scrape time ----------------------------------------------------------------------

_AT_SCRAPE: list[Callable[[], Iterable[Metric]]] = []


def at_scrape(
    collect: Callable[[], Iterable[Metric]],
) -> Callable[[], Iterable[Metric]]:
    """Register `collect` to be called at every scrape of /metrics (in the scraped worker)."""
    _AT_SCRAPE.append(collect)
    return collect


class _ScrapeTime:
    def collect(self) -> Iterator[Metric]:
        for collect in list(_AT_SCRAPE):
            try:
                families = list(collect())
            except Exception as exc:
                # The database may be down: /metrics still answers with everything else.
                _log.warning(
                    "metrics_read_failed", collector=collect.__name__, error=str(exc)[:200]
                )
                continue
            yield from families


class _ThisProcess:
    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def exposition() -> tuple[bytes, str]:
    """The text /metrics answers, and its content type: every worker's values added up under
    `casedesk serve`, this process's elsewhere, and the values read at scrape time."""
    registry = CollectorRegistry(auto_describe=False)
    if MULTIPROCESS:
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(_ScrapeTime())
    return generate_latest(registry), CONTENT_TYPE_LATEST


# --- families of later features ---------------------------------------------------------------
# One line each, when the feature lands (see the module's docstring for the reserved names).


@at_scrape
def sla_timers() -> Iterator[Metric]:
    """The service-level timers' backlog as the database holds it (casedesk/sla/services/
    timers.py): warnings and failures due and not yet fired, and how late the oldest is. A
    worker ticks every 30 s, so the age stays under a minute while the timers keep up; take
    `max` across servers."""
    from prometheus_client.core import GaugeMetricFamily

    from casedesk.core import clock
    from casedesk.sla.services.timers import due_state

    now = clock.now()
    count, oldest = due_state(now)
    yield GaugeMetricFamily(
        "casedesk_sla_timers_due",
        "KPI instances whose warning or failure is due and not yet fired.",
        value=count,
    )
    yield GaugeMetricFamily(
        "casedesk_sla_timers_oldest_due_seconds",
        "How long ago the oldest unfired warning or failure fell due (0: none).",
        value=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
    )


@at_scrape
def jobs() -> Iterator[Metric]:
    """The background queue as the database holds it (casedesk/jobs/selectors.py): the same
    figures from whichever server is scraped, so take `max`, not `sum`, across servers."""
    from prometheus_client.core import GaugeMetricFamily

    from casedesk.core import clock
    from casedesk.jobs.selectors import jobs_state

    now = clock.now()
    state = jobs_state(now)
    families = {
        "waiting": GaugeMetricFamily(
            "casedesk_jobs_waiting", "Jobs ready to run now, by queue.", labels=["queue"]
        ),
        "oldest": GaugeMetricFamily(
            "casedesk_jobs_oldest_waiting_seconds",
            "How long the longest-waiting ready job has been ready, by queue (0: none).",
            labels=["queue"],
        ),
        "delayed": GaugeMetricFamily(
            "casedesk_jobs_delayed",
            "Jobs waiting for a later time: retries in their back-off, deferred jobs.",
            labels=["queue"],
        ),
        "running": GaugeMetricFamily(
            "casedesk_jobs_running", "Jobs a worker is running, by queue.", labels=["queue"]
        ),
        "failed": GaugeMetricFamily(
            "casedesk_jobs_failed",
            "Jobs that failed for good (every attempt spent), kept until pruned, by queue.",
            labels=["queue"],
        ),
    }
    for queue, q in sorted(state.queues.items()):
        families["waiting"].add_metric([queue], q.waiting)
        since = q.oldest_waiting_since
        families["oldest"].add_metric(
            [queue], max(0.0, (now - since).total_seconds()) if since else 0.0
        )
        families["delayed"].add_metric([queue], q.delayed)
        families["running"].add_metric([queue], q.running)
        families["failed"].add_metric([queue], q.failed)
    yield from families.values()
    yield GaugeMetricFamily(
        "casedesk_jobs_workers",
        "Background worker processes whose heartbeat is fresh.",
        value=state.workers,
    )
