from __future__ import annotations

import math
import signal
import sys
from typing import Any

from django.core.management.base import CommandError, CommandParser

from casedesk.cli.base import Command as BaseCommand
from casedesk.cli.management.commands.serve import require_migrated


def _concurrency(value: str) -> int:
    number = int(value)
    if not 1 <= number <= 32:
        raise ValueError(value)
    return number


def _interval(value: str) -> float:
    number = float(value)
    if not (math.isfinite(number) and 0.01 <= number <= 60):
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Run background jobs in the foreground until SIGTERM or SIGINT (the jobs in hand"
        " finish, for up to 30 s)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--concurrency",
            type=_concurrency,
            default=1,
            help="jobs run at once, one thread each (default 1)",
        )
        parser.add_argument(
            "--interval",
            type=_interval,
            default=1.0,
            help="seconds between looks at an empty queue (default 1)",
        )
        parser.add_argument(
            "--queue",
            default="*",
            help="the queues to take jobs from, separated by commas (default: every queue)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from casedesk.jobs.worker import WorkerProcess

        queues = [q for q in options["queue"].split(",") if q.strip()]
        if not queues:
            raise CommandError("--queue names no queue")
        require_migrated()
        process = WorkerProcess(
            concurrency=options["concurrency"],
            interval=options["interval"],
            queue_names=[q.strip() for q in queues],
        )

        def stop(signum: int, frame: Any) -> None:
            process.stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        status = process.run()
        if status:
            sys.exit(status)
