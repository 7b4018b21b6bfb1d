"""Server time of each request: the `duration_ms` of the request log lines `casedesk serve`
writes (casedesk/core/observability/middleware.py), from the moment the outermost middleware
receives the request to the moment it has the answer. Unlike the latency a client measures,
it leaves out the time a request waits for a free worker and the load generator's own share of
the machine (docs/performance.md, "The web pages")."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import http_bench

_LINE = re.compile(
    r"^(?P<at>\d{4}-\d\d-\d\dT[\d:.]+)Z \[\w+\s*\] request\s+\[casedesk\.request\]"
    r".* duration_ms=(?P<ms>[\d.]+)"
)


class ServerLog:
    """The request lines a server's log gains from one point of the benchmark."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def mark(self) -> None:
        """Start reading after what the log holds now."""
        self.offset = self.path.stat().st_size if self.path.exists() else 0

    def durations(self, since: float, until: float) -> list[float]:
        """The server times (ms) of the requests answered between the wall-clock times
        `since` and `until` (time.time()), written to the log after `mark`."""
        with self.path.open("rb") as log:
            log.seek(self.offset)
            text = log.read().decode("utf-8", errors="replace")
        found = []
        for line in text.splitlines():
            match = _LINE.match(line)
            if match is None:
                continue
            at = datetime.fromisoformat(match["at"]).replace(tzinfo=UTC).timestamp()
            if since <= at <= until:
                found.append(float(match["ms"]))
        return found


def summary(durations: list[float]) -> dict[str, float | int | None]:
    """p50, p95 and p99 of the server times, and how many requests they cover."""
    values = sorted(durations)

    def rank(fraction: float) -> float | None:
        return round(http_bench.percentile(values, fraction), 2) if values else None

    return {
        "server_requests": len(values),
        "server_p50_ms": rank(0.50),
        "server_p95_ms": rank(0.95),
        "server_p99_ms": rank(0.99),
    }
