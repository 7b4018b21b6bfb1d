"""The directory's writes racing each other, with real OS processes: an SQLite file, or
PostgreSQL with DATABASE_URL.

Administrators demote and deactivate each other while the operator re-promotes one whenever a
single administrator is left, so the contest for the last place is run again and again; at the
same time one worker sets a team's members and another sets the same user's teams, the two sides
of one membership. Every worker waits behind a barrier and the test asserts that their running
windows overlapped. Whatever the interleaving: there is always an active administrator, no
worker meets a deadlock or an error, and each membership change steps both records' versions.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import ask_worker, fresh_database_env, race, run

pytestmark = pytest.mark.slow

WORKER = str(Path(__file__).with_name("admin_race_worker.py"))
ADMINS = 4


def _once(env: dict[str, str], **job: Any) -> dict[str, Any]:
    return ask_worker(WORKER, env, job)


@pytest.fixture
def env(tmp_path: Path) -> Any:
    with fresh_database_env(tmp_path, migrated=True) as environment:
        yield environment


def test_administrators_racing_to_demote_each_other_always_leave_one(
    tmp_path: Path, env: dict[str, str]
) -> None:
    setup = _once(env, do="setup", admins=ADMINS)
    seconds = 2.0
    # However slow a loaded machine makes each turn, the race lasts until the operator has
    # restored an administrator three times: the last place contested again and again.
    contested = str(tmp_path / "contested")
    demote = {"do": "demote", "seconds": seconds, "contested": contested}
    jobs: list[dict[str, Any]] = [
        *({**demote, "me": me} for me in setup["admins"]),
        {
            "do": "restore",
            "admins": setup["admins"],
            "seconds": seconds,
            "restores": 3,
            "contested": contested,
        },
        {"do": "team", **setup, "seconds": seconds},
        {"do": "member", **setup, "seconds": seconds},
    ]
    results = race(tmp_path, env, WORKER, jobs)

    demotions = Counter(o for r in results[:ADMINS] for o in r["outcomes"])
    assert set(demotions) <= {"ok", "validation_error"}, demotions
    restorer = results[ADMINS]
    assert restorer["notes"] == [], restorer["notes"][:3]
    assert set(restorer["outcomes"]) <= {"ok"}, restorer["outcomes"][:3]
    # The last place was contested again and again, not once.
    assert demotions["ok"] > 2 and len(restorer["outcomes"]) > 2, (demotions, restorer)
    for membership in results[ADMINS + 1 :]:
        assert set(membership["outcomes"]) == {"ok"}, membership["outcomes"][:3]

    state = _once(env, do="state", **setup)
    assert state["active_admins"] >= 1
    # Every audited membership change, made from either side, stepped both records once.
    changes = state["team_updates"] + state["agent_updates"]
    assert changes > 2
    assert state["team_version"] == state["agent_version"] == 1 + changes, state
    assert run(env, "check").returncode == 0
