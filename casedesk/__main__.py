"""The `casedesk` command: the product's commands and the framework's maintenance commands,
without those that would erase data or go around casedesk's rules (casedesk/cli/entry.py)."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.settings")
    import django

    try:
        django.setup()
    except Exception as exc:  # a bad setting: one line, not a traceback
        print(f"casedesk: {exc}", file=sys.stderr)
        sys.exit(2)
    from casedesk.cli import entry

    sys.exit(entry.run(["casedesk", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
