from __future__ import annotations

import contextlib
import gc
import json
import sys
import time
from collections.abc import Iterator
from typing import IO, Any

from django.core.management.base import CommandError, CommandParser

from casedesk.cases.services import imports
from casedesk.cli.base import Command as BaseCommand
from casedesk.core.choices import Channel
from casedesk.core.errors import ValidationFailed
from casedesk.directory import services as directory


class Command(BaseCommand):
    help = (
        "Import cases from another help desk: 'import cases FILE --as USER' reads JSON Lines "
        "(one case a line, '-' for standard input); see docs/operations.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        cases = sub.add_parser("cases", help="import cases from a JSON Lines file")
        cases.add_argument("file", help="the file, or - for standard input")
        cases.add_argument(
            "--as",
            dest="username",
            required=True,
            help="the acting user (a manager or an administrator)",
        )
        cases.add_argument(
            "--batch",
            type=int,
            default=imports.DEFAULT_BATCH,
            help=f"cases per transaction (1 to {imports.MAX_BATCH})",
        )
        cases.add_argument(
            "--skip-invalid",
            action="store_true",
            help="leave out invalid lines (each reported on stderr) instead of refusing all",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batch = options["batch"]
        if not 1 <= batch <= imports.MAX_BATCH:
            raise CommandError(f"--batch must be 1 to {imports.MAX_BATCH}")
        actor = directory.user_for_cli(options["username"])
        path = options["file"]
        started = time.perf_counter()
        try:
            with _collector_paused():
                if path == "-":
                    result = self._import(actor, sys.stdin.buffer, batch, options)
                else:
                    with open(path, "rb") as stream:
                        result = self._import(actor, stream, batch, options)
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from exc
        except ValidationFailed as exc:
            raise CommandError(_line_message(exc)) from exc
        elapsed = max(time.perf_counter() - started, 1e-6)
        for problem in result.skipped:
            self.stderr.write(f"skipped line {problem.row}: {_fields(problem.fields)}")
        count = len(result.cases)
        summary = f"imported {count} cases in {elapsed:.1f} s ({count / elapsed:.0f} cases/s)"
        if result.skipped:
            summary += f"; skipped {len(result.skipped)} invalid lines"
        self.stdout.write(summary)

    def _import(
        self, actor: Any, stream: IO[bytes], batch: int, options: dict[str, Any]
    ) -> imports.CasesImported:
        return imports.cases_import(
            actor=actor,
            rows=_lines(stream),
            channel=Channel.CLI,
            batch_size=batch,
            skip_invalid=options["skip_invalid"],
        )


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cycle collector for the import, and restore it after, even on failure.

    An import allocates millions of small objects that form no cycles; the collector would
    walk every live row again and again (about a tenth of the time). Only here: this process
    does nothing else, whereas a server process serves other requests (and threads) that
    share the collector, so the import service leaves it alone.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _lines(stream: IO[bytes]) -> Iterator[imports.Line]:
    """The cases of a JSON Lines stream, each with its line number (from 1); blank lines are
    ignored. A line that is not UTF-8 or not JSON is a bad row, like a case with a bad value:
    it refuses the import, or is skipped and reported with --skip-invalid."""
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            yield imports.Line(number, unreadable="not valid UTF-8")
            continue
        try:
            value = json.loads(text)
        except RecursionError:
            yield imports.Line(number, unreadable="not valid JSON (nested too deeply)")
            continue
        except ValueError as exc:
            yield imports.Line(number, unreadable=f"not valid JSON ({exc})")
            continue
        yield imports.Line(number, value)


def _fields(fields: dict[str, str]) -> str:
    return "; ".join(f"{name}: {message}" if name else message for name, message in fields.items())


def _line_message(exc: ValidationFailed) -> str:
    """`line N: field: message (...)`: the refused line, named by its number in the file."""
    line = exc.details.get("row")
    fields = exc.details.get("fields") or {}
    if not isinstance(line, int):
        return _fields(fields) if fields else exc.message
    prefix = f"rows.{line}."
    named = {
        "" if name == f"rows.{line}" else name.removeprefix(prefix): message
        for name, message in fields.items()
    }
    message = f"line {line}: {_fields(named)}"
    imported = exc.details.get("imported")
    if imported:
        message += f" ({imported} cases of the lines before it were imported)"
    else:
        message += " (nothing imported)"
    return message
