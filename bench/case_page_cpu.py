"""CPU time of the web case page in one process: Django's test client, signed in, the same
case requested again and again; the median of the process CPU time of each request (and, with
`--profile`, cProfile's view of the same loop).

    CASEDESK_DATA_DIR=/tmp/cp .venv/bin/python -m casedesk migrate
    CASEDESK_DATA_DIR=/tmp/cp .venv/bin/python -m casedesk demo
    CASEDESK_DATA_DIR=/tmp/cp .venv/bin/python -m casedesk collectstatic --noinput
    CASEDESK_DATA_DIR=/tmp/cp .venv/bin/python bench/case_page_cpu.py --requests 200

Measured as the demo's `admin` (a manager: every dialog of the page is rendered) on the first
active case by ticket number, after 10 requests of warm-up (docs/performance.md, "The web
pages").
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.append(ROOT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--user", default="admin")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top entries")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from casedesk.cases.models import Case
    from casedesk.directory.models import User

    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(username=args.user))
    case = Case.objects.filter(state="active").order_by("ticket_number").first()
    assert case is not None, "no active case: load `casedesk demo` first"
    url = f"/cases/{case.pk}/"
    for _ in range(10):
        assert client.get(url).status_code == 200
    statements: list[str] = []

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url)
    if args.profile:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.requests):
            client.get(url)
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(60)
        return
    times = []
    for _ in range(args.requests):
        start = time.process_time()
        client.get(url)
        times.append((time.process_time() - start) * 1000)
    times.sort()
    print(
        f"{case.ticket_number}: {len(statements)} queries, CPU per request "
        f"median {statistics.median(times):.1f} ms (p10 {times[len(times) // 10]:.1f}, "
        f"p90 {times[len(times) * 9 // 10]:.1f}); load average "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )


if __name__ == "__main__":
    main()
