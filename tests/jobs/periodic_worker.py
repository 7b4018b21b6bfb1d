"""`casedesk worker` with one periodic job declared, as an app's `ready()` would declare it:
`tests.jobs.tasks.tick` every `CASEDESK_TEST_TICK_EVERY` seconds."""

from __future__ import annotations

import os
import sys
from datetime import timedelta

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.settings")
    import django

    django.setup()
    from casedesk.cli import entry
    from casedesk.jobs import periodic_add
    from tests.jobs.tasks import tick

    every = timedelta(seconds=float(os.environ["CASEDESK_TEST_TICK_EVERY"]))
    periodic_add("tests.tick", tick, every=every)
    sys.exit(entry.run(["casedesk", "worker", *sys.argv[1:]]))
