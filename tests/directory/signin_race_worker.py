"""A worker process for the sign-in races; run as a script with a JSON argument.

    python signin_race_worker.py '{"do": "setup"}'       a user whose name waits no more
                                                         (enough failures for delays, the
                                                         last wait over)
    python signin_race_worker.py '{"do": "fail", ...}'   records failures for the user name
    python signin_race_worker.py '{"do": "try", ...}'    attempts to sign in (the check only)
    python signin_race_worker.py '{"do": "state"}'       the user name's count

A racing worker sets Django up and opens its connection first, writes its READY file and waits
for the GO file; it makes `attempts` attempts (a count, not a time: a process that finds the
write lock taken by the others' tight loops still finishes once they have) and records when it
started and ended.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.settings")

NAME = "target"
PASSWORD = "a-long-enough-pass-1"


def _setup(job: dict[str, Any]) -> dict[str, Any]:
    from django.conf import settings

    from casedesk.core import clock
    from casedesk.directory.access import SYSTEM
    from casedesk.directory.models import LoginThrottle
    from casedesk.directory.services import login_failure_record, user_create

    user_create(actor=SYSTEM, username=NAME, password=PASSWORD)
    for i in range(settings.LOGIN_THROTTLE["free_per_user"]):
        login_failure_record(username=NAME, address=f"192.0.2.{i + 1}")
    over = clock.now() - dt.timedelta(seconds=1)
    LoginThrottle.objects.filter(key=f"user:{NAME}").update(wait_until=over)
    return {}


def _race(job: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection

    from casedesk.core.errors import RateLimited
    from casedesk.directory.services import login_failure_record, login_throttle_check

    connection.ensure_connection()
    Path(job["ready"]).write_text("ready")
    go = Path(job["go"])
    while not go.exists():
        time.sleep(0.001)
    started = time.monotonic()
    done, passed = 0, 0
    while done < job["attempts"]:
        if job["do"] == "fail":
            login_failure_record(username=NAME, address=job["address"])
            done += 1
        else:
            try:
                login_throttle_check(username=NAME, address=job["address"])
                passed += 1
            except RateLimited:
                pass
            done += 1
    ended = time.monotonic()
    return {"started": started, "ended": ended, "done": done, "passed": passed}


def _state(job: dict[str, Any]) -> dict[str, Any]:
    from casedesk.directory.models import LoginThrottle

    row = LoginThrottle.objects.get(key=f"user:{NAME}")
    return {"failures": row.failures}


if __name__ == "__main__":
    from tests.support.worker import main

    main({"setup": _setup, "state": _state}, _race)
