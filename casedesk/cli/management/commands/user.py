from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from casedesk.cli.base import Command as BaseCommand
from casedesk.core.choices import Channel
from casedesk.directory import services
from casedesk.directory.choices import Role
from casedesk.directory.models import User


class Command(BaseCommand):
    help = "Manage users: 'user add NAME --password PW [--role R] [--team T]...', 'user list'."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="create a user")
        add.add_argument("name")
        add.add_argument("--password", required=True)
        add.add_argument("--role", choices=Role.values, default=Role.AGENT)
        add.add_argument("--team", action="append", default=[], dest="teams")
        add.add_argument("--full-name", default="")
        add.add_argument("--email", default="")
        sub.add_parser("list", help="list users")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "add":
            name = options["name"].strip()
            if not name or len(name) > 150:
                raise CommandError("the user name must be 1 to 150 characters")
            for team in options["teams"]:
                if not team.strip() or len(team) > 200:
                    raise CommandError("a team name must be 1 to 200 characters")
            user = services.user_create(
                actor=None,
                username=name,
                password=options["password"],
                role=options["role"],
                full_name=options["full_name"],
                email=options["email"],
                team_names=[t.strip() for t in options["teams"]],
                channel=Channel.CLI,
            )
            self.stdout.write(f"created user {user.username} ({user.role}) {user.id}")
        else:
            for user in User.objects.order_by("username"):
                self.stdout.write(f"{user.username}\t{user.role}\t{user.id}")
