"""Jobs for the tests: each appends one line per run to a log file (`path`), which the tests
read to count runs, see which process ran them and when."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

from django_tasks import task

from casedesk.jobs import job

TICK_LOG = "CASEDESK_TEST_TICK_LOG"


def _line(path: str, *fields: object) -> int:
    """Append a line `fields pid time`; return how many lines with the same first field the
    file held before it."""
    log = Path(path)
    before = 0
    if log.exists():
        before = sum(1 for line in log.read_text().splitlines() if line.split()[0] == fields[0])
    with log.open("a") as out:
        out.write(" ".join(str(f) for f in (*fields, os.getpid(), time.time())) + "\n")
    return before


@task()
def record(path: str, key: str, pause: float = 0.0) -> str:
    _line(path, key)
    time.sleep(pause)
    return key


@job(max_attempts=3, backoff=timedelta(seconds=0.3), jitter=0.0)
def always_fails(path: str, key: str) -> None:
    _line(path, key)
    raise RuntimeError(f"{key} fails every time")


@job(max_attempts=5, backoff=timedelta(seconds=0.2), jitter=0.0)
def fails_twice(path: str, key: str) -> str:
    if _line(path, key) < 2:
        raise RuntimeError(f"{key} fails")
    return "done"


@job(max_attempts=3, backoff=timedelta(seconds=0.1), jitter=0.0)
def hangs_first_time(path: str, key: str) -> str:
    """The first run hangs (its worker is killed meanwhile); the next one finishes."""
    if _line(path, key) == 0:
        time.sleep(120)
    _line(path, f"{key}-done")
    return "done"


@task()
def tick() -> None:
    _line(os.environ[TICK_LOG], "tick")
