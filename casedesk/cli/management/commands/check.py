from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from casedesk.cli.base import Command as BaseCommand
from casedesk.core.invariants import registered, run_all


class Command(BaseCommand):
    help = "Verify the database's invariants; print each violation and exit non-zero on any."

    def handle(self, *args: Any, **options: Any) -> None:
        violations = 0
        for name, violation in run_all():
            violations += 1
            self.stderr.write(f"{name}: {violation}")
        if violations:
            raise CommandError(f"{violations} violation(s) found")
        self.stdout.write(f"ok: {len(registered())} checks, no violations")
