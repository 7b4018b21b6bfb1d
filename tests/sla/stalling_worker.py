"""`casedesk worker` whose service-level tick fires small batches and stalls, inside the
transaction of its second batch, until it is killed: the first batch is committed, the second
is not (what a worker that dies in the middle of a tick leaves behind)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.settings")
    import django

    django.setup()
    from casedesk.cli import entry
    from casedesk.sla.hooks import Firing, sla_firing_hook_add
    from casedesk.sla.services import timers

    timers.BATCH = 5
    marker = Path(os.environ["CASEDESK_TEST_STALL_FILE"])
    batches = []

    def stall(firings: Sequence[Firing]) -> None:
        batches.append(len(firings))
        if len(batches) == 2:
            marker.write_text(str(os.getpid()))
            time.sleep(600)

    sla_firing_hook_add(stall)
    sys.exit(entry.run(["casedesk", "worker", *sys.argv[1:]]))
