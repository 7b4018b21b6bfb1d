from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from casedesk.cli.base import Command as BaseCommand
from casedesk.core.choices import Channel
from casedesk.directory import services
from casedesk.directory.choices import Role
from casedesk.directory.models import User

# The fields `user update` sets, one option each (`--full-name` is `full_name`).
UPDATE_FIELDS = ("full_name", "email", "role", "language")


class Command(BaseCommand):
    help = (
        "Manage users: 'user add NAME --password PW [--role R] [--team T]...', 'user list', "
        "'user update NAME [--full-name F] [--email E] [--role R] [--language L]', "
        "'user password NAME --password PW', 'user deactivate NAME', 'user reactivate NAME'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="create a user")
        add.add_argument("name")
        add.add_argument("--password", required=True)
        add.add_argument("--role", choices=Role.values, default=Role.AGENT)
        add.add_argument("--team", action="append", default=[], dest="teams")
        add.add_argument("--full-name", default="")
        add.add_argument("--email", default="")
        sub.add_parser("list", help="list users (deactivated ones are marked 'inactive')")
        update = sub.add_parser("update", help="change a user's name, e-mail, role or language")
        update.add_argument("name")
        update.add_argument("--full-name")
        update.add_argument("--email")
        update.add_argument("--role", choices=Role.values)
        update.add_argument(
            "--language",
            choices=["", *(code for code, _name in settings.LANGUAGES)],
            help="'' follows the browser",
        )
        password = sub.add_parser("password", help="set a user's password")
        password.add_argument("name")
        password.add_argument("--password", required=True)
        for action, text in (
            ("deactivate", "stop a user signing in and using API tokens"),
            ("reactivate", "let a deactivated user sign in again"),
        ):
            sub.add_parser(action, help=text).add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "add":
            self._add(options)
        elif action == "list":
            for user in User.objects.order_by("username"):
                state = "" if user.is_active else "\tinactive"
                self.stdout.write(f"{user.username}\t{user.role}\t{user.id}{state}")
        elif action == "password":
            user = services.user_set_password(
                actor=None,
                user_id=services.user_for_cli(options["name"]).pk,
                password=options["password"],
                channel=Channel.CLI,
            )
            self.stdout.write(f"set the password of {user.username}")
        else:
            self._update(action, options)

    def _add(self, options: dict[str, Any]) -> None:
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

    def _update(self, action: str, options: dict[str, Any]) -> None:
        if action == "update":
            changes = {f: options[f] for f in UPDATE_FIELDS if options[f] is not None}
            if not changes:
                raise CommandError(
                    "nothing to change: give --full-name, --email, --role or --language"
                )
        else:
            changes = {"is_active": action == "reactivate"}
        user = services.user_update(
            actor=None,
            user_id=services.user_for_cli(options["name"]).pk,
            changes=changes,
            channel=Channel.CLI,
        )
        state = "active" if user.is_active else "inactive"
        self.stdout.write(f"updated user {user.username} ({user.role}, {state}) {user.id}")
