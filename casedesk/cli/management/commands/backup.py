from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from casedesk.attachments import archive
from casedesk.cli.base import Command as BaseCommand
from casedesk.core import backups


class Command(BaseCommand):
    help = "Write a consistent copy of the database to PATH while casedesk keeps running."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument(
            "--force",
            action="store_true",
            help="overwrite PATH if it exists (never the live database)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        target = Path(options["path"]).expanduser().absolute()
        try:
            size = backups.backup(target, overwrite=options["force"])
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from exc
        try:
            files = archive.files_archive(target.resolve())
        except archive.ArchiveError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"backup written to {target.resolve()} ({size} bytes)")
        if files:
            where = archive.archive_path(target.resolve())
            self.stdout.write(f"attachments written to {where} ({files} files)")
