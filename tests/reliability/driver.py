"""A load driver for crash tests: runs operations against a server, records what it acknowledged.

Run as a script: `python driver.py BASE_URL TOKEN ACCOUNT_ID STOP_FILE OUT.json GO_FILE`.
It waits for GO_FILE to exist, then loops over operations until STOP_FILE exists, and writes
every acknowledged write (a 2xx answer) to OUT.json with its start and end times.
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import httpx


def main() -> None:
    base, token, account_id, stop, out, go = sys.argv[1:7]
    headers = {"Authorization": f"Bearer {token}"}
    while not Path(go).exists():
        time.sleep(0.01)
    started = time.time()
    acked: list[dict[str, Any]] = []
    errors: dict[str, int] = {}
    rng = random.Random()
    mine: list[dict[str, Any]] = []
    with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
        while not Path(stop).exists():
            op = rng.choice(["create", "create", "patch", "resolve", "merge", "note"])
            try:
                if op == "create" or not mine:
                    r = http.post(
                        "/api/v1/cases",
                        json={
                            "title": f"crash test {rng.random():.6f}",
                            "customer": {"type": "account", "id": account_id},
                        },
                    )
                    if r.status_code == 201:
                        case = r.json()
                        mine.append(case)
                        acked.append({"op": "create", "id": case["id"]})
                elif op == "patch":
                    case = rng.choice(mine)
                    r = http.patch(f"/api/v1/cases/{case['id']}", json={"priority": "high"})
                    if r.status_code == 200:
                        acked.append(
                            {"op": "patch", "id": case["id"], "version": r.json()["version"]}
                        )
                elif op == "note":
                    case = rng.choice(mine)
                    r = http.post(f"/api/v1/cases/{case['id']}/notes", json={"text": "n"})
                    if r.status_code == 201:
                        acked.append({"op": "note", "id": case["id"], "note": r.json()["id"]})
                elif op == "resolve":
                    case = mine.pop(rng.randrange(len(mine)))
                    r = http.post(
                        f"/api/v1/cases/{case['id']}/resolve",
                        json={
                            "resolution_type": "problem_solved",
                            "resolution": "fixed",
                            "billable_minutes": 5,
                            "cancel_open_activities": True,
                        },
                    )
                    if r.status_code == 200:
                        acked.append({"op": "resolve", "id": case["id"]})
                else:
                    if len(mine) < 2:
                        continue
                    sub = mine.pop(rng.randrange(len(mine)))
                    master = rng.choice(mine)
                    r = http.post(f"/api/v1/cases/{sub['id']}/merge", json={"into": master["id"]})
                    if r.status_code == 200:
                        acked.append({"op": "merge", "id": sub["id"], "into": master["id"]})
                if r.status_code >= 500 and r.status_code != 503:
                    errors[f"{op}:{r.status_code}"] = errors.get(f"{op}:{r.status_code}", 0) + 1
            except httpx.HTTPError as exc:
                # A worker killed mid-request: the outcome is unknown, so nothing is claimed.
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                time.sleep(0.05)
    Path(out).write_text(
        json.dumps({"started": started, "ended": time.time(), "acked": acked, "errors": errors})
    )


if __name__ == "__main__":
    main()
