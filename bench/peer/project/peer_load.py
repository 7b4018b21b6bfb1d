"""Runs inside the peer's virtual environment: a staff user, one queue, N tickets in bulk.

    PEER_DATA_DIR=... python peer_load.py --user bench --password PW --tickets tickets.jsonl

`tickets.jsonl` holds one {"title", "description"} per line (written by the benchmark from
the same vocabulary as casedesk's data). Tickets go in through the ORM's bulk_create in
batches, one transaction each. Prints one JSON object: the queue id and the timings.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerproj.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import transaction  # noqa: E402
from helpdesk.models import Queue, Ticket  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--tickets", required=True)
    parser.add_argument("--batch", type=int, default=2000)
    args = parser.parse_args()

    User = get_user_model()
    user = User.objects.filter(username=args.user).first()
    if user is None:
        user = User.objects.create_superuser(args.user, f"{args.user}@example.com", args.password)
    user.is_staff = True
    user.save()
    queue, _ = Queue.objects.get_or_create(
        slug="support", defaults={"title": "Support", "allow_public_submission": False}
    )

    with open(args.tickets, encoding="utf-8") as fh:
        items = [json.loads(line) for line in fh if line.strip()]
    started = time.perf_counter()
    for low in range(0, len(items), args.batch):
        with transaction.atomic():
            Ticket.objects.bulk_create(
                [
                    Ticket(
                        title=item["title"][:200],
                        description=item["description"],
                        queue=queue,
                        submitter_email=f"customer{(low + i) % 5000}@example.com",
                        status=Ticket.OPEN_STATUS if (low + i) % 3 else Ticket.RESOLVED_STATUS,
                        priority=3,
                    )
                    for i, item in enumerate(items[low : low + args.batch])
                ]
            )
    elapsed = time.perf_counter() - started
    print(
        json.dumps(
            {
                "queue_id": queue.id,
                "user_id": user.id,
                "tickets": Ticket.objects.count(),
                "load_seconds": round(elapsed, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
