from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from casedesk.cli.base import Command as BaseCommand
from casedesk.demo import data


class Command(BaseCommand):
    help = "Load a realistic demo data set (users, teams, customers, cases, ...)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when the database already holds users",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and not data.database_is_empty():
            self.stdout.write("the database is not empty; demo data not loaded")
            return
        summary = data.load()
        self.stdout.write("demo data loaded: " + ", ".join(f"{v} {k}" for k, v in summary.items()))
        self.stdout.write(
            f"sign in as {data.DEMO_USERS[0][0]!r} with password "
            f"{data.DEMO_PASSWORD!r} (all demo users share it)"
        )
