"""The `casedesk` command: Django's management commands under the product's name."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.settings")
    import django
    from django.core.management import ManagementUtility, get_commands

    argv = list(sys.argv)
    argv[0] = "casedesk"
    try:
        django.setup()
    except Exception as exc:  # a bad setting: one line, not a traceback
        print(f"casedesk: {exc}", file=sys.stderr)
        sys.exit(2)
    if len(argv) > 1 and not argv[1].startswith("-") and argv[1] not in get_commands():
        print(f"casedesk: unknown command {argv[1]!r} (try 'casedesk help')", file=sys.stderr)
        sys.exit(2)
    ManagementUtility(argv).execute()


if __name__ == "__main__":
    main()
