from __future__ import annotations

import getpass
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from casedesk.cli.base import Command as BaseCommand
from casedesk.core.choices import Channel
from casedesk.directory import services
from casedesk.directory.access import SYSTEM
from casedesk.directory.choices import Role
from casedesk.directory.models import User

# The fields `user update` sets, one option each (`--full-name` is `full_name`).
UPDATE_FIELDS = ("full_name", "email", "role", "language")


def _printable(name: str) -> str:
    """A name as one line of visible text: a character that is not (one a name made before
    user names were checked may hold) is written as its escape, `\\n`, `\\u202e`."""
    if name.isprintable():
        return name
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in name)


def _password_options(parser: CommandParser) -> None:
    given = parser.add_mutually_exclusive_group()
    given.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input",
    )
    given.add_argument(
        "--password",
        help="the password itself (visible to other users of the machine: prefer "
        "--password-stdin, or leave both out to be asked in the terminal)",
    )


class Command(BaseCommand):
    help = (
        "Manage users: 'user add NAME [--password-stdin] [--role R] [--team T]...', 'user list', "
        "'user update NAME [--full-name F] [--email E] [--role R] [--language L]', "
        "'user password NAME [--password-stdin]', 'user deactivate NAME', "
        "'user reactivate NAME', 'user unlock NAME'. Without --password-stdin the password is "
        "asked twice in the terminal."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="create a user")
        add.add_argument("name")
        _password_options(add)
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
        _password_options(password)
        for action, text in (
            ("deactivate", "stop a user signing in and using API tokens"),
            ("reactivate", "let a deactivated user sign in again"),
            ("unlock", "forget a user's failed sign-ins: they can sign in again at once"),
        ):
            sub.add_parser(action, help=text).add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "add":
            self._add(options)
        elif action == "list":
            for user in User.objects.order_by("username"):
                state = "" if user.is_active else "\tinactive"
                self.stdout.write(f"{_printable(user.username)}\t{user.role}\t{user.id}{state}")
        elif action == "password":
            user_id = services.user_for_cli(options["name"]).pk
            user = services.user_set_password(
                actor=SYSTEM,
                user_id=user_id,
                password=self._password(options),
                channel=Channel.CLI,
            )
            self.stdout.write(f"set the password of {user.username}")
            self._warn_if_on_command_line(options)
        elif action == "unlock":
            user = services.login_unlock(
                actor=SYSTEM, user_id=services.user_for_cli(options["name"]).pk, channel=Channel.CLI
            )
            self.stdout.write(f"unlocked user {user.username}: they can sign in again at once")
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
            actor=SYSTEM,
            username=name,
            password=self._password(options),
            role=options["role"],
            full_name=options["full_name"],
            email=options["email"],
            team_names=[t.strip() for t in options["teams"]],
            channel=Channel.CLI,
        )
        self.stdout.write(f"created user {user.username} ({user.role}) {user.id}")
        self._warn_if_on_command_line(options)

    def _password(self, options: dict[str, Any]) -> str:
        """The new password: from `--password` (kept for old scripts), one line of standard
        input (`--password-stdin`), or typed twice at a prompt that does not echo it."""
        if options["password"] is not None:
            return str(options["password"])
        if options["password_stdin"]:
            line = sys.stdin.readline()
            password = line[:-1] if line.endswith("\n") else line
            password = password.removesuffix("\r")
            if not password:
                raise CommandError("no password on standard input")
            return password
        if not sys.stdin.isatty():
            raise CommandError(
                "no password given: use --password-stdin, or run the command in a terminal "
                "to be asked for it"
            )
        try:
            first = getpass.getpass("Password: ")
            second = getpass.getpass("Password (again): ")
        except (EOFError, KeyboardInterrupt) as exc:
            raise CommandError("no password given") from exc
        if first != second:
            raise CommandError("the two passwords differ")
        if not first:
            raise CommandError("the password is empty")
        return first

    def _warn_if_on_command_line(self, options: dict[str, Any]) -> None:
        # After the command succeeded: a refusal stays a single line on stderr.
        if options["password"] is not None:
            self.stderr.write(
                "warning: --password exposes the password to other users of this machine "
                "(process list, shell history); use --password-stdin instead"
            )

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
            actor=SYSTEM,
            user_id=services.user_for_cli(options["name"]).pk,
            changes=changes,
            channel=Channel.CLI,
        )
        state = "active" if user.is_active else "inactive"
        self.stdout.write(f"updated user {user.username} ({user.role}, {state}) {user.id}")
