from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from casedesk.attachments import archive
from casedesk.cli.base import Command as BaseCommand
from casedesk.core import backups


class Command(BaseCommand):
    help = (
        "Replace the database with a backup made by 'casedesk backup'. Refused while a server"
        " or worker uses the database; a database with users or cases needs --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace a database that holds users or cases",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source = Path(options["path"]).expanduser().absolute()
        try:
            restored = backups.restore(source, force=options["force"])
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from exc
        try:
            files = archive.files_restore(source.resolve())
        except archive.ArchiveError as exc:
            raise CommandError(str(exc)) from exc
        if files:
            self.stdout.write(f"{files} attachment file(s) restored")
        if restored.pending:
            self.stdout.write(
                f"database restored from {source.resolve()}; it lacks {restored.pending}"
                " migration(s) of this version: run 'casedesk migrate', then 'casedesk check'"
            )
        else:
            self.stdout.write(f"database restored from {source.resolve()}; run 'casedesk check'")
