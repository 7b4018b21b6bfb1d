"""What `casedesk` offers on its command line: the product's commands first, the framework's
maintenance commands after them, and a refusal for the framework commands that would erase
data or go around casedesk's own rules (each refusal names the casedesk command to use)."""

from __future__ import annotations

import sys
import textwrap
from importlib import metadata

from django.core.management import ManagementUtility, get_commands, load_command_class

# The product's commands in the order a new operator meets them. A command of a casedesk app
# that is not named here is listed after these.
PRODUCT_ORDER = (
    "user",
    "token",
    "serve",
    "worker",
    "check",
    "demo",
    "backup",
    "restore",
    "import",
    "mail",
    "sla",
    "migrate",
)
# The framework's own commands that belong with the product's.
PRODUCT_FRAMEWORK_COMMANDS = {"migrate": "Create or upgrade the database schema."}

_ERASES = "it erases every record; to go back to an earlier state use 'casedesk restore FILE'"
_SERVER = "it is a development server; use 'casedesk serve'"
REFUSED: dict[str, str] = {
    "flush": _ERASES,
    "sqlflush": _ERASES,
    "reset_db": _ERASES,
    "remove_stale_contenttypes": "it deletes records; use 'casedesk check' to find inconsistencies",
    "loaddata": (
        "it writes rows past casedesk's rules and history; use 'casedesk import' for records "
        "from another help desk or 'casedesk restore FILE' for a backup"
    ),
    "dbshell": (
        "changes made there skip casedesk's rules and history; use 'casedesk check' to verify "
        "the database and 'casedesk backup FILE' to copy it"
    ),
    "createsuperuser": "use 'casedesk user add NAME --role admin'",
    "changepassword": "use 'casedesk user password NAME'",
    "runserver": _SERVER,
    "testserver": _SERVER,
}


def refusal(name: str) -> str | None:
    """The one-line refusal of command `name`, or None when casedesk runs it."""
    reason = REFUSED.get(name)
    return None if reason is None else f"casedesk {name}: not available here: {reason}"


def product_commands() -> list[str]:
    """The product's commands, in the order the help lists them."""
    available = get_commands()
    ours = {
        name
        for name, app in available.items()
        if isinstance(app, str) and app.startswith("casedesk") and name not in REFUSED
    }
    ours |= {name for name in PRODUCT_FRAMEWORK_COMMANDS if name in available}
    ordered = [name for name in PRODUCT_ORDER if name in ours]
    return ordered + sorted(ours - set(ordered))


def framework_commands() -> list[str]:
    """The framework's commands casedesk still runs (maintenance and development)."""
    ours = set(product_commands())
    return sorted(name for name in get_commands() if name not in ours and name not in REFUSED)


def summary(name: str) -> str:
    """The first sentence of a command's help."""
    if name in PRODUCT_FRAMEWORK_COMMANDS:
        return PRODUCT_FRAMEWORK_COMMANDS[name]
    app = get_commands()[name]
    text = str(getattr(load_command_class(app, name), "help", "") or "")
    for stop in (": ", "; ", ". "):
        text = text.split(stop, 1)[0]
    return text.rstrip(".") + "." if text else ""


def main_help() -> str:
    names = product_commands()
    width = max(len(name) for name in names)
    lines = [
        "Usage: casedesk COMMAND [options]   ('casedesk help COMMAND' for its options)",
        "",
        "Commands:",
        *(f"  {name.ljust(width)}  {summary(name)}" for name in names),
        "",
        "Framework commands for maintenance and development:",
        *textwrap.wrap(
            ", ".join(framework_commands()), 94, initial_indent="  ", subsequent_indent="  "
        ),
    ]
    return "\n".join(lines)


def version() -> str:
    try:
        return f"casedesk {metadata.version('casedesk')}"
    except metadata.PackageNotFoundError:  # run from a source tree that is not installed
        return "casedesk (not installed)"


def run(argv: list[str]) -> int:
    """Run the command line `argv` (argv[0] is the program); return the exit status."""
    args = argv[1:]
    if not args or args[0] in ("-h", "--help") or args == ["help"]:
        print(main_help())
        return 0
    if args[0] in ("version", "--version"):
        print(version())
        return 0
    if args == ["help", "--commands"]:
        print("\n".join([*product_commands(), *framework_commands()]))
        return 0
    name = args[1] if args[0] == "help" else args[0]
    message = refusal(name)
    if message is not None:
        print(message, file=sys.stderr)
        return 2
    if name.startswith("-") or name not in get_commands():
        print(f"casedesk: unknown command {name!r} (try 'casedesk help')", file=sys.stderr)
        return 2
    ManagementUtility(["casedesk", *args]).execute()
    return 0
