"""Crash safety: several clients write while workers, then the whole server, are SIGKILLed.

Every write the server acknowledged must be there after a restart, and `casedesk check` must
find no violated invariant.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.support.processes import fresh_database_env, run, running_server

pytestmark = pytest.mark.slow

PASSWORD = "a-long-enough-pass-1"
DRIVERS = 4
ROUNDS = 3


def _wait_until_serving(base: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/login/", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server did not come back")


def _token(http: httpx.Client) -> str:
    r = http.post("/api/v1/auth/token", json={"username": "crash", "password": PASSWORD})
    return str(r.json()["token"])


def test_acknowledged_writes_survive_killed_workers_and_a_killed_server(tmp_path: Path) -> None:
    with fresh_database_env(tmp_path, migrated=True) as env:
        run(env, "user", "add", "crash", "--password-stdin", "--role", "manager", input=PASSWORD)
        go, stop = tmp_path / "go", tmp_path / "stop"
        outs = [tmp_path / f"driver{i}.json" for i in range(DRIVERS)]
        # gunicorn alone (--no-worker): the process is its master, whose children are killed.
        with running_server(env, 2, "--no-worker") as (base, proc):
            with httpx.Client(base_url=base) as http:
                token = _token(http)
                account = http.post(
                    "/api/v1/accounts",
                    json={"name": "Crash Srl"},
                    headers={"Authorization": f"Bearer {token}"},
                ).json()["id"]
                # A default entitlement that every new case consumes on creation, so the kills
                # also land in the middle of ledger writes.
                auth = {"Authorization": f"Bearer {token}"}
                entitlement = http.post(
                    "/api/v1/entitlements",
                    headers=auth,
                    json={
                        "name": "Crash support",
                        "customer": {"type": "account", "id": account},
                        "start_date": "2020-01-01",
                        "end_date": "2099-12-31",
                        "allocation_type": "cases",
                        "total_terms": 100000,
                        "decrease_on": "creation",
                        "is_default": True,
                    },
                )
                assert entitlement.status_code == 201, entitlement.text
                entitlement_id = entitlement.json()["id"]
                activated = http.post(
                    f"/api/v1/entitlements/{entitlement_id}/activate", headers=auth
                )
                assert activated.status_code == 200, activated.text
            drivers = [
                subprocess.Popen(
                    [
                        sys.executable,
                        str(Path(__file__).with_name("driver.py")),
                        base,
                        token,
                        account,
                        str(stop),
                        str(out),
                        str(go),
                    ]
                )
                for out in outs
            ]
            time.sleep(1.0)  # every driver is waiting at the barrier
            go.touch()
            killed = 0
            for _ in range(ROUNDS):
                time.sleep(2)
                for worker in psutil.Process(proc.pid).children():
                    os.kill(worker.pid, signal.SIGKILL)
                    killed += 1
                _wait_until_serving(base)
            time.sleep(2)
            # Then the whole server at once, master and workers, mid-traffic.
            group = [proc.pid] + [c.pid for c in psutil.Process(proc.pid).children()]
            for pid in group:
                os.kill(pid, signal.SIGKILL)
            proc.wait()
            stop.touch()
            for driver in drivers:
                assert driver.wait(timeout=120) == 0
        assert killed >= 6
        results = [json.loads(out.read_text()) for out in outs]
        windows = sorted((r["started"], r["ended"]) for r in results)
        assert windows[-1][0] < windows[0][1], "the drivers did not run at the same time"
        acked = [a for r in results for a in r["acked"]]
        assert sum(1 for a in acked if a["op"] == "create") > 20
        server_errors = {k: v for r in results for k, v in r["errors"].items() if ":" in k}
        assert server_errors == {}, server_errors

        with running_server(env, workers=2) as (base, _proc), httpx.Client(base_url=base) as http:
            http.headers["Authorization"] = f"Bearer {_token(http)}"
            missing = []
            for a in acked:
                case = http.get(f"/api/v1/cases/{a['id']}")
                if case.status_code != 200:
                    missing.append(a)
                    continue
                body = case.json()
                if a["op"] == "patch" and body["version"] < a["version"]:
                    missing.append(a)
                if (
                    a["op"] == "resolve"
                    and body["state"] != "resolved"
                    and not body["merged_into_id"]
                ):
                    missing.append(a)
                if a["op"] == "merge" and body["merged_into_id"] != a["into"]:
                    missing.append(a)
            assert missing == []
            ledger = http.get(f"/api/v1/entitlements/{entitlement_id}").json()
            # The ledger matches what is stored, acknowledged or not (a write can commit and
            # its worker die before answering): every case of the account took one term on
            # creation, and every merged one gave it back.
            stored: list[dict[str, object]] = []
            params = {"customer_id": account, "limit": 200}
            while True:
                page = http.get("/api/v1/cases", params=params)
                assert page.status_code == 200, page.text
                stored.extend(page.json()["items"])
                if not page.json()["next"]:
                    break
                params["cursor"] = page.json()["next"]
            holding = sum(1 for c in stored if not c["merged_into_id"])
            assert 100000 - ledger["remaining_terms"] == holding
            assert {a["id"] for a in acked if a["op"] == "create"} <= {c["id"] for c in stored}
        check = run(env, "check", check=False)
        assert check.returncode == 0, check.stderr
        print(
            f"acknowledged writes: {len(acked)}, found after the kills: "
            f"{len(acked) - len(missing)}, workers killed: {killed}"
        )
