"""`casedesk sla tick` (docs/service-levels.md#timers)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from casedesk.cli.base import Command as BaseCommand
from casedesk.sla.services.timers import sla_tick


class Command(BaseCommand):
    help = "Service levels: evaluate the due timers once, now."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser(
            "tick", help="fire the service-level warnings and failures due now, then exit"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = sla_tick(limit=None)
        self.stdout.write(f"warnings: {result.warnings}, failures: {result.failures}")
        if result.errors:
            raise CommandError(
                f"{result.errors} instance(s) could not be fired (see the log); they stay due"
            )
