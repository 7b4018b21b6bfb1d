"""The base of casedesk's commands: every failure is one line on stderr and a non-zero exit."""

from __future__ import annotations

import contextlib
import sys
from typing import Any

from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    handle_default_options,
)
from django.db import connections

from casedesk.core.errors import DomainError, ValidationFailed


def domain_message(exc: DomainError) -> str:
    if isinstance(exc, ValidationFailed):
        fields = exc.details.get("fields") or {}
        if fields:
            return "; ".join(f"{name}: {message}" for name, message in fields.items())
    return exc.message


class Command(BaseCommand):
    requires_system_checks: list[str] = []  # type: ignore[assignment]

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # A parser that raises CommandError instead of printing its usage over several lines.
        called = bool(getattr(self, "_called_from_command_line", False))
        self._called_from_command_line = False
        try:
            return super().create_parser(prog_name, subcommand, **kwargs)
        finally:
            self._called_from_command_line = called

    def run_from_argv(self, argv: list[str]) -> None:
        self._called_from_command_line = True
        name = argv[1] if len(argv) > 1 else "casedesk"
        try:
            parser = self.create_parser(argv[0], name)
            options = parser.parse_args(argv[2:])
            cmd_options = vars(options)
            args = cmd_options.pop("args", ())
            handle_default_options(options)
            self.execute(*args, **cmd_options)
        except CommandError as exc:
            message = str(exc).removeprefix("Error: ")
            sys.stderr.write(f"casedesk {name}: {message}\n")
            sys.exit(exc.returncode or 1)
        except DomainError as exc:
            sys.stderr.write(f"casedesk {name}: {domain_message(exc)}\n")
            sys.exit(1)
        finally:
            with contextlib.suppress(Exception):  # closing must not mask the outcome
                connections.close_all()
