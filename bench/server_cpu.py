"""CPU time the server side spends, per request: the app workers and the database backends.

Measured from the processes' own counters (psutil), so a figure stays meaningful when other
work shares the machine: a request that costs 4 ms of CPU costs that whether the machine is
quiet or busy, while its latency does not. Two cores at 4 ms a request carry at most
2 / 0.004 = 500 requests a second.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psutil


def _cpu(pids: list[int]) -> dict[int, float]:
    out: dict[int, float] = {}
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        out[pid] = times.user + times.system
    return out


def _delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent since `before` by the processes alive now (one born meanwhile
    counts from zero; one that ended meanwhile is lost: pools keep them open in a run)."""
    return sum(value - before.get(pid, 0.0) for pid, value in after.items())


class ServerCpu:
    """Snapshots of the CPU seconds of a server's workers (children of `master_pid`) and of
    the database backends that `db_pids` lists (PostgreSQL; none for SQLite, whose work is
    inside the workers)."""

    def __init__(self, master_pid: int, db_pids: Callable[[], list[int]] | None = None):
        self.master_pid = master_pid
        self.db_pids = db_pids

    def snapshot(self) -> dict[str, dict[int, float]]:
        workers = [p.pid for p in psutil.Process(self.master_pid).children(recursive=True)]
        return {"app": _cpu(workers), "db": _cpu(self.db_pids() if self.db_pids else [])}

    def per_request(self, before: dict[str, dict[int, float]], requests: int) -> dict[str, Any]:
        """Milliseconds of CPU per request since `before`."""
        after = self.snapshot()
        if requests <= 0:
            return {"app_cpu_ms": None, "db_cpu_ms": None}
        app = _delta(before["app"], after["app"])
        db = _delta(before["db"], after["db"])
        return {
            "app_cpu_ms": round(1000 * app / requests, 2),
            "db_cpu_ms": round(1000 * db / requests, 2) if self.db_pids else None,
        }
