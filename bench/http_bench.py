"""A small closed-loop HTTP load client: throughput and latency percentiles of one operation.

Each of `concurrency` threads holds one keep-alive connection (stdlib `http.client`, so the
client costs little CPU next to the server on a 2-core machine) and sends requests back to
back until the time or the request budget runs out. Latency is measured from just before the
request is written to just after the whole body is read. The first `warmup` seconds are sent
but not counted.

Used by `run_all.py` for casedesk and for the peer; usable on its own:

    python bench/http_bench.py http://127.0.0.1:8000/api/v1/cases?limit=10 \
        --header "Authorization: Bearer TOKEN" --concurrency 4 --seconds 10
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import resource
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


# Makes the next request of one thread: (thread index, request index in that thread) ->
# a request, or None when there is nothing left to send (a consumed pool of records).
RequestMaker = Callable[[int, int], Request | None]
# Sees each counted answer (to collect created ids, for example).
AnswerHook = Callable[[Request, Answer], None]


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of `values` (sorted in place)."""
    if not values:
        return math.nan
    values.sort()
    rank = max(1, math.ceil(fraction * len(values)))
    return values[rank - 1]


@dataclass
class LoadResult:
    name: str
    concurrency: int
    requests: int = 0
    sent: int = 0  # answered requests including the warm-up ones (for CPU per request)
    ok: int = 0
    errors: int = 0
    seconds: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    client_cpu_s: float = 0.0
    first_error: str | None = None
    # Wall-clock time (time.time()) of the measured window: after the warm-up, to the end.
    measure_wall: float = 0.0
    end_wall: float = 0.0

    @property
    def throughput(self) -> float:
        return self.ok / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        lat = list(self.latencies_ms)
        return {
            "name": self.name,
            "concurrency": self.concurrency,
            "requests": self.requests,
            "sent": self.sent,
            "ok": self.ok,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "throughput_rps": round(self.throughput, 1),
            "p50_ms": round(percentile(lat, 0.50), 2) if lat else None,
            "p95_ms": round(percentile(lat, 0.95), 2) if lat else None,
            "p99_ms": round(percentile(lat, 0.99), 2) if lat else None,
            "mean_ms": round(sum(lat) / len(lat), 2) if lat else None,
            "statuses": dict(sorted(self.statuses.items())),
            "client_cpu_s": round(self.client_cpu_s, 2),
            "first_error": self.first_error,
        }


class Client:
    """One keep-alive connection to `base` (scheme://host:port), reconnecting when needed."""

    def __init__(self, base: str, headers: dict[str, str] | None = None, timeout: float = 60):
        parts = urlsplit(base)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"need an http:// base URL, not {base!r}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.prefix = parts.path.rstrip("/")
        self.headers = dict(headers or {})
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def send(self, request: Request) -> Answer:
        headers = {**self.headers, **request.headers}
        if request.body is not None:
            headers.setdefault("Content-Type", "application/json")
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(request.method, self.prefix + request.path, request.body, headers)
                response = conn.getresponse()
                body = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection: one fresh try.
                self.close()
                if attempt == 2:
                    raise
                continue
            answer = Answer(response.status, body, {k.lower(): v for k, v in response.getheaders()})
            if answer.headers.get("connection", "").lower() == "close":
                self.close()
            return answer
        raise AssertionError("unreachable")

    def get(self, path: str, **headers: str) -> Answer:
        return self.send(Request("GET", path, None, headers))

    def post(self, path: str, payload: Any, **headers: str) -> Answer:
        return self.send(Request("POST", path, json.dumps(payload).encode(), headers))


def run_load(
    *,
    name: str,
    base: str,
    make: RequestMaker,
    concurrency: int,
    seconds: float,
    warmup: float = 0.0,
    max_requests: int | None = None,
    headers: dict[str, str] | None = None,
    expect: frozenset[int] = frozenset({200, 201}),
    on_answer: AnswerHook | None = None,
    min_requests: int = 0,
    max_seconds: float | None = None,
) -> LoadResult:
    """Run `concurrency` closed-loop threads against `base` for `warmup + seconds`.

    An answer whose status is not in `expect` counts as an error (and is not timed into the
    percentiles); a transport failure too. `max_requests` bounds the counted requests in all;
    a slow operation goes on past `seconds` until `min_requests` are counted, but never past
    `max_seconds` (default: four times `seconds`).
    """
    result = LoadResult(name=name, concurrency=concurrency)
    lock = threading.Lock()
    statuses: Counter[str] = Counter()
    start_barrier = threading.Barrier(concurrency + 1)
    timing: dict[str, float] = {}
    budget = [max_requests if max_requests is not None else -1]
    counted_all = [0]

    def take_budget() -> bool:
        with lock:
            if budget[0] == 0:
                return False
            if budget[0] > 0:
                budget[0] -= 1
            return True

    def worker(index: int) -> None:
        client = Client(base, headers)
        latencies: list[float] = []
        counted = ok = errors = sent = 0
        first_error: str | None = None
        local_status: Counter[str] = Counter()
        start_barrier.wait()
        i = 0
        try:
            while True:
                now = time.perf_counter()
                if now >= timing["end"] and (
                    counted_all[0] >= min_requests or now >= timing["hard_end"]
                ):
                    break
                measuring = now >= timing["measure"]
                if measuring and not take_budget():
                    break
                request = make(index, i)
                i += 1
                if request is None:
                    break
                t0 = time.perf_counter()
                try:
                    answer = client.send(request)
                except (OSError, http.client.HTTPException) as exc:
                    client.close()
                    if measuring:
                        counted += 1
                        errors += 1
                        local_status["transport"] += 1
                        first_error = first_error or f"{type(exc).__name__}: {exc}"
                    continue
                elapsed = (time.perf_counter() - t0) * 1000.0
                sent += 1
                if not measuring:
                    continue
                with lock:
                    counted_all[0] += 1
                counted += 1
                local_status[str(answer.status)] += 1
                if answer.status in expect:
                    ok += 1
                    latencies.append(elapsed)
                    if on_answer is not None:
                        on_answer(request, answer)
                else:
                    errors += 1
                    if first_error is None:
                        first_error = f"{answer.status}: {answer.body[:300]!r}"
        finally:
            client.close()
            with lock:
                result.requests += counted
                result.sent += sent
                result.ok += ok
                result.errors += errors
                result.latencies_ms.extend(latencies)
                statuses.update(local_status)
                if first_error and result.first_error is None:
                    result.first_error = first_error
                timing["last"] = max(timing.get("last", 0.0), time.perf_counter())

    threads = [
        threading.Thread(target=worker, args=(i,), name=f"load-{i}", daemon=True)
        for i in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    cpu0 = _cpu_seconds()
    begin = time.perf_counter()
    wall_begin = time.time()
    timing["measure"] = begin + warmup
    timing["end"] = begin + warmup + seconds
    timing["hard_end"] = begin + warmup + (max_seconds if max_seconds else 4 * seconds)
    start_barrier.wait()
    for thread in threads:
        thread.join()
    measured_from = timing["measure"]
    measured_to = timing.get("last", timing["end"])
    result.seconds = max(measured_to - measured_from, 1e-9)
    result.measure_wall = wall_begin + warmup
    result.end_wall = wall_begin + (measured_to - begin)
    result.client_cpu_s = _cpu_seconds() - cpu0
    result.statuses = dict(statuses)
    return result


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="http://host:port/path?query")
    parser.add_argument("--method", default="GET")
    parser.add_argument("--data", help="request body (JSON text)")
    parser.add_argument("--header", action="append", default=[], help="'Name: value'")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    args = parser.parse_args(argv)
    parts = urlsplit(args.url)
    base = f"{parts.scheme}://{parts.netloc}"
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = dict(h.split(":", 1) for h in args.header)
    headers = {k.strip(): v.strip() for k, v in headers.items()}
    body = args.data.encode() if args.data is not None else None
    request = Request(args.method.upper(), path, body)
    result = run_load(
        name=f"{request.method} {path}",
        base=base,
        make=lambda _t, _i: request,
        concurrency=args.concurrency,
        seconds=args.seconds,
        warmup=args.warmup,
        headers=headers,
    )
    print(json.dumps(result.summary(), indent=2))
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
