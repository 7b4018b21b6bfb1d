from __future__ import annotations

from typing import Any

from django.core import checks as system_checks
from django.core.management.base import CommandError, CommandParser

from casedesk.cli.base import Command as BaseCommand
from casedesk.core.invariants import registered, run_all


class Command(BaseCommand):
    help = (
        "Verify the database's invariants; print each violation and exit non-zero on any. "
        "With --deploy, also run the framework's deployment checks (HTTPS, cookies, HSTS, ...)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--deploy",
            action="store_true",
            help="also check the settings for a production deployment",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        violations = 0
        if options["deploy"]:
            for message in system_checks.run_checks(include_deployment_checks=True):
                if message.level >= system_checks.WARNING and not message.is_silenced():
                    violations += 1
                    self.stderr.write(f"deploy: {message.id}: {message.msg}")
        for name, violation in run_all():
            violations += 1
            self.stderr.write(f"{name}: {violation}")
        if violations:
            raise CommandError(f"{violations} violation(s) found")
        self.stdout.write(f"ok: {len(registered())} checks, no violations")
