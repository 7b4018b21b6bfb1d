from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from casedesk.cli.base import Command as BaseCommand
from casedesk.core import backups


class Command(BaseCommand):
    help = "Replace the database with a backup made by 'casedesk backup'."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")

    def handle(self, *args: Any, **options: Any) -> None:
        source = Path(options["path"]).expanduser().resolve()
        if not source.is_file():
            raise CommandError(f"no backup file at {source}")
        try:
            backups.restore(source)
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"database restored from {source}")
