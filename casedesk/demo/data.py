"""The demo data set: a small support organisation in Italy, through the same services as users.

Each area adds its records here, so `casedesk demo` always shows a living system.
"""

from __future__ import annotations

from django.db import transaction

from casedesk.core import clock
from casedesk.core.choices import Channel
from casedesk.demo import (
    customers,
    entitlements,
    lifecycle,
    mail,
    routing,
    search,
    service_levels,
    webhooks,
)
from casedesk.demo.timeline import FOUNDED
from casedesk.directory import services as directory
from casedesk.directory.access import SYSTEM
from casedesk.directory.models import User

DEMO_PASSWORD = "casedesk-demo-2026"

# username, full name, role, teams
DEMO_USERS: list[tuple[str, str, str, list[str]]] = [
    ("admin", "Alessandra Conti", "admin", []),
    ("manager", "Marco Bianchi", "manager", ["Supporto Tier 1", "Supporto Tier 2"]),
    ("agent", "Giulia Romano", "agent", ["Supporto Tier 1"]),
    ("luca", "Luca Ferrari", "agent", ["Supporto Tier 1"]),
    ("sara", "Sara Esposito", "agent", ["Supporto Tier 2"]),
    ("paolo", "Paolo Ricci", "agent", ["Fatturazione"]),
]


def database_is_empty() -> bool:
    return not User.objects.exists()


@transaction.atomic
def load() -> dict[str, int]:
    users = {}
    with clock.behind(FOUNDED):
        for username, full_name, role, teams in DEMO_USERS:
            users[username] = directory.user_create(
                actor=SYSTEM,
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                full_name=full_name,
                email=f"{username}@example.com",
                team_names=teams,
                channel=Channel.CLI,
            )
    summary: dict[str, int] = {"users": len(users)}
    with clock.behind(FOUNDED):  # in force before the first case
        summary.update(service_levels.load(users))
    summary.update(customers.load(users))
    summary.update(lifecycle.load(users))
    summary.update(routing.load(users))
    summary.update(search.load(users))
    summary.update(entitlements.load(users))
    summary.update(webhooks.load(users))
    summary.update(mail.load(users))
    summary.update(service_levels.load_cases(users))
    summary.update(service_levels.fire_timers())
    return summary
