"""A worker process for the directory race; run as a script with a JSON argument.

    python admin_race_worker.py '{"do": "setup", "admins": 4}'  administrators, an agent, a team
    python admin_race_worker.py '{"do": "demote", ...}'    an administrator demotes the others
    python admin_race_worker.py '{"do": "restore", ...}'   the operator re-promotes one whenever
                                                          a single administrator is left
    python admin_race_worker.py '{"do": "team", ...}'      sets the team's members, on and off
    python admin_race_worker.py '{"do": "member", ...}'    sets the agent's teams, on and off
    python admin_race_worker.py '{"do": "state", ...}'     prints what the test checks

A racing worker sets Django up and opens its connection first, writes its READY file and waits
for the GO file; it works for at least `seconds` (the operator and the demoting administrators
until the operator has restored `restores` times) and records when it started and ended. A
refusal is recorded by its code; any other exception (a deadlock, a lock timeout) by its class
name, which the test never expects.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.settings")

PASSWORD = "a-long-enough-pass-1"


def _setup(job: dict[str, Any]) -> dict[str, Any]:
    from casedesk.directory.access import SYSTEM
    from casedesk.directory.services import team_create, user_create

    admins = [
        str(user_create(actor=SYSTEM, username=f"admin{i}", password=PASSWORD, role="admin").pk)
        for i in range(job["admins"])
    ]
    agent = user_create(actor=SYSTEM, username="agent", password=PASSWORD)
    team = team_create(actor=SYSTEM, name="Tier 1")
    return {"admins": admins, "agent": str(agent.pk), "team": str(team.pk)}


def _attempt(outcomes: list[str], call: Callable[[], Any]) -> None:
    from casedesk.core.errors import DomainError

    try:
        call()
        outcomes.append("ok")
    except DomainError as exc:
        outcomes.append(exc.code)
    except Exception as exc:  # the test fails on it
        outcomes.append(f"error:{type(exc).__name__}:{exc}")


def _active_admins() -> list[uuid.UUID]:
    from casedesk.directory.models import User

    return list(User.objects.filter(role="admin", is_active=True).values_list("pk", flat=True))


def _step(job: dict[str, Any], turn: int, outcomes: list[str], notes: list[str]) -> None:
    from casedesk.directory.access import SYSTEM
    from casedesk.directory.models import User
    from casedesk.directory.services import team_update, user_update

    if job["do"] == "demote":
        # The caller as a request would load it: a demoted administrator may no longer act.
        me = User.objects.get(pk=job["me"])
        targets = [pk for pk in _active_admins() if str(pk) != job["me"]]
        if not (me.is_admin and me.is_active) or not targets:
            time.sleep(0.001)  # nothing to do until the operator restores someone
            return
        change = {"role": "manager"} if turn % 2 else {"is_active": False}
        target = targets[turn % len(targets)]
        _attempt(outcomes, lambda: user_update(actor=me, user_id=target, changes=change))
    elif job["do"] == "restore":
        active = _active_admins()
        if not active:
            notes.append("no active administrator")
        elif len(active) == 1:
            target = uuid.UUID(job["admins"][turn % len(job["admins"])])
            restore = {"role": "admin", "is_active": True}
            _attempt(outcomes, lambda: user_update(actor=SYSTEM, user_id=target, changes=restore))
        else:
            time.sleep(0.001)  # the last place is not contested yet
    elif job["do"] == "team":
        members = [uuid.UUID(job["agent"])] if turn % 2 == 0 else []
        _attempt(
            outcomes,
            lambda: team_update(
                actor=SYSTEM, team_id=uuid.UUID(job["team"]), changes={"member_ids": members}
            ),
        )
    elif job["do"] == "member":
        teams = [uuid.UUID(job["team"])] if turn % 2 else []
        _attempt(
            outcomes,
            lambda: user_update(
                actor=SYSTEM, user_id=uuid.UUID(job["agent"]), changes={"team_ids": teams}
            ),
        )


MIN_TURNS = 4


def _race(job: dict[str, Any]) -> dict[str, Any]:
    from django.db import connection

    connection.ensure_connection()
    Path(job["ready"]).write_text("ready")
    go = Path(job["go"])
    while not go.exists():
        time.sleep(0.001)
    started = time.monotonic()
    outcomes: list[str] = []
    notes: list[str] = []
    turn = 0
    # At least MIN_TURNS, however slow a loaded machine makes each. The test asks that the
    # last place was contested several times: the operator goes on until it has restored an
    # administrator `restores` times, then writes the `contested` file, and the demoting
    # administrators go on until that file exists (a minute at most, all told).
    contested = Path(job["contested"]) if job.get("contested") else None

    def more() -> bool:
        elapsed = time.monotonic() - started
        if elapsed >= 60:
            return False
        if elapsed < job["seconds"] or turn < MIN_TURNS:
            return True
        if job["do"] == "restore":
            return len(outcomes) < job.get("restores", 0)
        return job["do"] == "demote" and contested is not None and not contested.exists()

    while more():
        _step(job, turn, outcomes, notes)
        turn += 1
    if job["do"] == "restore" and contested is not None:
        contested.write_text("contested")
    ended = time.monotonic()
    return {"started": started, "ended": ended, "outcomes": outcomes, "notes": notes}


def _state(job: dict[str, Any]) -> dict[str, Any]:
    from casedesk.core.models import AuditEntry
    from casedesk.directory.models import Team, User

    team = Team.objects.get(pk=job["team"])
    agent = User.objects.get(pk=job["agent"])
    updates = AuditEntry.objects.filter(action="update")
    return {
        "active_admins": len(_active_admins()),
        "team_version": team.version,
        "agent_version": agent.version,
        "team_updates": updates.filter(entity_id=team.pk).count(),
        "agent_updates": updates.filter(entity_id=agent.pk).count(),
    }


if __name__ == "__main__":
    from tests.support.worker import main

    main({"setup": _setup, "state": _state}, _race)
