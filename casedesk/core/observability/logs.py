"""The log format of every casedesk process: one line per record on standard error, as JSON
(`CASEDESK_LOG_FORMAT=json`, for a log collector) or as readable text (the default).

Records logged through structlog (`structlog.get_logger("casedesk.x").info("event", key=v)`)
keep their fields; records of the standard library (Django, gunicorn, `logging.getLogger`) are
rendered the same way, their `extra={...}` fields included. Fields bound with
`structlog.contextvars` (the request id during a request, the job during a job) are added to
every record logged meanwhile, whoever logs it.

This module imports no Django: gunicorn's master process uses it too.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import structlog


def _add_pid(_logger: Any, _method: str, event_dict: Any) -> Any:
    """The process id: which of the server's workers wrote the record."""
    event_dict.setdefault("pid", os.getpid())
    return event_dict


# Added to every record, structlog's or the standard library's.
_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    _add_pid,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def configure_structlog() -> None:
    """Route structlog's loggers through the standard library's handlers (see `formatter`)."""
    structlog.configure(
        processors=[
            *_SHARED,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def formatter_options(fmt: str) -> dict[str, Any]:
    """The keyword arguments of the formatter of `fmt` (`json` or `text`)."""
    if fmt == "json":
        renderer: list[Any] = [
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ]
    else:
        renderer = [structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())]
    return {
        "processors": [structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer],
        "foreign_pre_chain": [*_SHARED, structlog.stdlib.ExtraAdder()],
    }


def formatter(fmt: str) -> logging.Formatter:
    return structlog.stdlib.ProcessorFormatter(**formatter_options(fmt))


def logging_config(fmt: str) -> dict[str, Any]:
    """Django's LOGGING: everything to standard error in `fmt`; casedesk's own records from
    INFO, everyone else's from WARNING."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "casedesk": {"()": structlog.stdlib.ProcessorFormatter, **formatter_options(fmt)}
        },
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "casedesk"}},
        "root": {"handlers": ["stderr"], "level": "WARNING"},
        "loggers": {
            "casedesk": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            # A 4xx is already in the request's line; server errors keep their traceback.
            "django.request": {"level": "ERROR"},
        },
    }


REQUEST_ID_HEADER = "X-Request-ID"
_ID_PUNCT = frozenset(".:_/+=@-")


def request_id_from(value: str | None) -> str:
    """The caller's request id when it is a plain token (letters, digits, `.:_/+=@-`, at most
    128 characters, so it cannot forge a log line), else a new one."""
    if (
        value
        and len(value) <= 128
        and all(c.isascii() and (c.isalnum() or c in _ID_PUNCT) for c in value)
    ):
        return value
    return uuid.uuid4().hex


@contextlib.contextmanager
def job_logging(job: str, **fields: Any) -> Iterator[dict[str, Any]]:
    """Run one background job with its fields bound to every record logged meanwhile, and log
    one `job` line at the end: the fields, `outcome` (`ok` or `failed`), `duration_ms` and
    `db_queries`. The worker wraps each job it runs:

        with job_logging("mail.fetch", job_id=str(job.id), mailbox=box.name) as line:
            ...
            line["messages"] = 12  # added to the final line

    A job that raises is logged as failed with its traceback, and the exception goes on.
    """
    from casedesk.core.observability.database import count_queries

    log = structlog.get_logger("casedesk.job")
    line: dict[str, Any] = {}
    started = time.perf_counter()
    with (
        structlog.contextvars.bound_contextvars(job=job, **fields),
        count_queries() as queries,
    ):
        try:
            yield line
        except BaseException:
            log.error(
                "job",
                outcome="failed",
                duration_ms=_ms(started),
                db_queries=queries.count,
                exc_info=True,
                **line,
            )
            raise
        log.info(
            "job",
            outcome="ok",
            duration_ms=_ms(started),
            db_queries=queries.count,
            **line,
        )


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
