"""A process that uses the database as a background worker does: it holds it from start-up
until its standard input is closed (see casedesk.core.inuse.hold_database)."""

from __future__ import annotations

import sys

import django


def main() -> None:
    django.setup()
    from casedesk.core.inuse import hold_database

    hold_database("casedesk worker")
    print("held", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
