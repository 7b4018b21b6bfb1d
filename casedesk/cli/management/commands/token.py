from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from casedesk.cli.base import Command as BaseCommand
from casedesk.core.choices import Channel
from casedesk.directory import services


class Command(BaseCommand):
    help = "Print a new API token for a user (other tokens stay valid)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--label", default="cli")

    def handle(self, *args: Any, **options: Any) -> None:
        user = services.user_for_cli(options["name"])
        _token, secret = services.token_create(
            user=user, name=options["label"], channel=Channel.CLI
        )
        self.stdout.write(secret)
