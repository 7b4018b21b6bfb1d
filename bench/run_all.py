"""The performance benchmark of casedesk, with the peer (django-helpdesk) in the same run.

For each engine (SQLite, PostgreSQL): a fresh database, the data set, `casedesk serve
--workers 2`, then HTTP throughput and p50/p95 of create case, get case, list "my active
cases", keyword search (rare, medium, frequent words), similar cases and resolve at each
concurrency; the resident memory of each worker; bulk routing; the bulk import rate against
the engine's raw insert rate. Then the peer: django-helpdesk 2.6.1 with 50,000 tickets,
its ticket create and its keyword search with the same client. The web workspace's pages
(bench/pages.py: the case page, the case lists, the queue pages, the dashboard, the search
page) are measured the same way, signed in with a session cookie.

    .venv/bin/python bench/run_all.py --preset quick      # `make bench`: 100,000 cases
    .venv/bin/python bench/run_all.py --preset full       # 1,000,000 cases (docs/performance.md)
    .venv/bin/python bench/run_all.py --preset smoke      # a few thousand cases, seconds
    .venv/bin/python bench/run_all.py --preset full --ops pages --concurrency 4 --no-peer
                                                          # only the web pages, at c=4

Writes bench/out/results.json and bench/out/results.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import report  # noqa: E402
import workload  # noqa: E402
from datasets import ADMIN, AGENT, PG_ADMIN_URL, Dataset, casedesk, ensure_all, side  # noqa: E402
from http_bench import Client, Request, run_load  # noqa: E402
from pages import PAGE_OPS, page_paths, sign_in  # noqa: E402
from peer import helpdesk_peer  # noqa: E402
from server_cpu import ServerCpu  # noqa: E402
from server_time import ServerLog  # noqa: E402
from server_time import summary as server_time_summary  # noqa: E402

CASEDESK = str(Path(sys.executable).with_name("casedesk"))

PRESETS: dict[str, dict[str, Any]] = {
    "smoke": {
        "cases": 3000,
        "seconds": 1.5,
        "warmup": 0.5,
        "concurrency": [1, 4, 16],
        "peer_tickets": 3000,
        "raw_rows": 5000,
        "import_rows": 300,
        "import_gen_rows": 3000,
        "route_batches": 1,
    },
    "quick": {
        "cases": 100_000,
        "seconds": 2.5,
        "warmup": 0.5,
        "concurrency": [1, 4, 16],
        "peer_tickets": 50_000,
        # The peer's search takes seconds a request at 50,000 tickets: 16 clients add
        # minutes of queueing and nothing new.
        "peer_search_concurrency": [1, 4],
        "raw_rows": 20_000,
        "import_rows": 1000,
        "import_gen_rows": 20_000,
        "route_batches": 2,
    },
    "full": {
        "cases": 1_000_000,
        "seconds": 15.0,
        "warmup": 2.0,
        "concurrency": [1, 4, 16],
        "peer_tickets": 50_000,
        "raw_rows": 100_000,
        "import_rows": 5000,
        "import_gen_rows": 100_000,
        "route_batches": 5,
    },
}


API_OPS = report.OPS
# The parts of a run besides the HTTP points: bulk routing, raw insert and bulk import, the peer.
OTHER_PARTS = ("routing", "import", "peer")
GROUPS: dict[str, tuple[str, ...]] = {
    "api": API_OPS,
    "pages": PAGE_OPS,
    "bulk": ("routing", "import"),
    "all": API_OPS + PAGE_OPS + OTHER_PARTS,
}


def parse_ops(text: str) -> frozenset[str]:
    """`--ops`: operation names and group names (api, pages, bulk, all), comma-separated."""
    known = set(GROUPS["all"])
    chosen: set[str] = set()
    for name in (n.strip() for n in text.split(",")):
        if not name:
            continue
        if name in GROUPS:
            chosen.update(GROUPS[name])
        elif name in known:
            chosen.add(name)
        else:
            raise ValueError(
                f"unknown operation {name!r}: one of {', '.join(GROUPS)}, "
                + ", ".join(GROUPS["all"])
            )
    return frozenset(chosen)


def log(message: str) -> None:
    stamp = datetime.now().strftime("%H:%M:%S")
    print(f"[bench {stamp}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------- databases


def db_backends(env: dict[str, str]) -> Callable[[], list[int]]:
    """The pids of the PostgreSQL backends connected to the database of `env`."""
    name = urlparse(env["DATABASE_URL"]).path.lstrip("/")

    def pids() -> list[int]:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", [name]
            ).fetchall()
        return [int(r[0]) for r in rows]

    return pids


# --------------------------------------------------------------------------- server


@contextlib.contextmanager
def running_server(
    env: dict[str, str], workers: int = 2, threads: int | None = None
) -> Iterator[tuple[str, int]]:
    """`casedesk serve --workers N [--threads T]` in the foreground (without `threads`, the
    command's default for the engine); yields its base URL and master pid."""
    port = free_port()
    worker_args = ["--workers", str(workers)]
    if threads:
        worker_args += ["--threads", str(threads)]
    log_path = Path(env["CASEDESK_DATA_DIR"]) / "serve.log"
    with log_path.open("w") as log_file:
        proc = subprocess.Popen(
            [CASEDESK, "serve", "--host", "127.0.0.1", "--port", str(port), *worker_args],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        helpdesk_peer.wait_until_up(base, "/login/", proc, log_path)
        yield base, proc.pid
    finally:
        helpdesk_peer.stop(proc)


def worker_rss_mb(master_pid: int) -> dict[str, Any]:
    return helpdesk_peer.worker_rss_mb(master_pid)


# --------------------------------------------------------------------------- scenarios


@dataclass
class Pool:
    """Ids consumed once each, shared by the load threads."""

    items: list[str] = field(default_factory=list)

    def add(self, value: str) -> None:
        self.items.append(value)

    def take(self) -> str | None:
        try:
            return self.items.pop()
        except IndexError:
            return None


@dataclass
class Setup:
    base: str
    agent_token: str
    admin_token: str
    owner_token: str
    owner_id: str
    facts: dict[str, Any]
    words: dict[str, list[str]]
    cpu: ServerCpu
    ops: frozenset[str] = GROUPS["all"]
    # The session cookies of the page clients, one per client thread (bench/pages.py).
    sessions: list[str] = field(default_factory=list)
    # The server's request log: each point's server time (bench/server_time.py).
    server_log: ServerLog | None = None

    def session(self, thread: int) -> str:
        while len(self.sessions) <= thread:
            self.sessions.append(sign_in(self.base))
        return self.sessions[thread]


def probe_missing(client: Client, method: str, path: str, body: Any = None) -> str | None:
    """A note when the endpoint does not exist (yet): 405, or 404 for an unknown path."""
    answer = (
        client.post(path, body if body is not None else {})
        if method == "POST"
        else client.get(path)
    )
    if answer.status == 405:
        return f"{method} {path} answered 405: the endpoint is not there"
    if answer.status == 404:
        try:
            message = answer.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = ""
        if "path" in message.lower():
            return f"{method} {path} answered 404 ({message}): the endpoint is not there"
    return None


def record_point(
    setup: Setup, results: list[dict[str, Any]], op: str, run: Callable[[], Any], note: str = ""
) -> None:
    """Run one point; its summary with the server CPU per request goes to `results`."""
    before = setup.cpu.snapshot()
    if setup.server_log is not None:
        setup.server_log.mark()
    result = run()
    summary = {"op": op, **result.summary(), **setup.cpu.per_request(before, result.sent)}
    if setup.server_log is not None:
        durations = setup.server_log.durations(result.measure_wall, result.end_wall)
        summary.update(server_time_summary(durations))
    if note:
        summary["note"] = note
    results.append(summary)
    log(
        f"{op:20s} c={summary['concurrency']:<2d} {summary['throughput_rps']:8.1f} req/s"
        f"  p50 {summary['p50_ms']} p95 {summary['p95_ms']} p99 {summary['p99_ms']} ms"
        f"  cpu {summary['app_cpu_ms']}+{summary['db_cpu_ms']} ms"
        f"  server p95 {summary.get('server_p95_ms')} ms"
        f"  errors {summary['errors']} {summary['first_error'] or ''}"
    )


def page_scenarios(setup: Setup, preset: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The chosen web pages at every concurrency, each client thread signed in with its own
    session (the first `concurrency` sessions are signed in before the points)."""
    results: list[dict[str, Any]] = []
    notes: list[str] = []
    chosen = [op for op in PAGE_OPS if op in setup.ops]
    if not chosen:
        return results, notes
    paths = page_paths(setup.facts, setup.words)
    for thread in range(max(preset["concurrency"])):
        setup.session(thread)
    rng = random.Random(11)

    def maker(op: str) -> Callable[[int, int], Request]:
        choices = paths[op]
        randomly = op.startswith("case_page")

        def make(thread: int, i: int) -> Request:
            path = rng.choice(choices) if randomly else choices[i % len(choices)]
            return Request("GET", path, None, {"Cookie": setup.session(thread)})

        return make

    # Each worker warms the page's code paths on first use: a few requests first, not counted.
    primer = Client(setup.base)
    for op in chosen:
        if paths[op]:
            for i in range(6):
                primer.send(maker(op)(0, i))
    primer.close()
    for op in chosen:
        if not paths[op]:
            notes.append(f"{op} skipped: the data set has no queue with items")
            log(notes[-1])
            continue
        for c in preset["concurrency"]:
            record_point(
                setup,
                results,
                op,
                lambda op=op, c=c: run_load(
                    name=op,
                    base=setup.base,
                    make=maker(op),
                    concurrency=c,
                    seconds=preset["seconds"],
                    warmup=preset["warmup"],
                    expect=frozenset({200}),
                    min_requests=20,
                ),
            )
    return results, notes


def http_scenarios(setup: Setup, preset: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """Every chosen API operation at every concurrency. Cases made by `create` are resolved
    later."""
    results: list[dict[str, Any]] = []
    notes: list[str] = []
    if not any(op in setup.ops for op in API_OPS):
        return results, notes
    auth = {"Authorization": f"Bearer {setup.agent_token}"}
    rng = random.Random(3)
    accounts = setup.facts["account_ids"]
    case_ids = setup.facts["case_ids"]
    created = Pool()

    def create(_t: int, _i: int) -> Request:
        body = {
            "title": workload.title(rng),
            "description": workload.description(rng),
            "customer": {"type": "account", "id": rng.choice(accounts)},
        }
        return Request("POST", "/api/v1/cases", json.dumps(body).encode())

    def keep_created(_request: Request, answer: Any) -> None:
        created.add(answer.json()["id"])

    def get(_t: int, _i: int) -> Request:
        return Request("GET", f"/api/v1/cases/{rng.choice(case_ids)}")

    def mine(_t: int, _i: int) -> Request:
        return Request(
            "GET",
            f"/api/v1/cases?owner_id={setup.owner_id}&state=active",
            None,
            {"Authorization": f"Bearer {setup.owner_token}"},
        )

    def mine_agent(_t: int, _i: int) -> Request:
        agent_id = setup.facts["agent_id"]
        return Request("GET", f"/api/v1/cases?owner_id={agent_id}&state=active")

    def search(words: list[str]) -> Callable[[int, int], Request]:
        return lambda _t, i: Request("GET", f"/api/v1/cases?search={words[i % len(words)]}")

    def similar(_t: int, i: int) -> Request:
        words = setup.words["medium"] + setup.words["rare"]
        return Request(
            "GET", f"/api/v1/cases/{rng.choice(case_ids)}/similar?q={words[i % len(words)]}"
        )

    def resolve(_t: int, _i: int) -> Request | None:
        case_id = created.take()
        if case_id is None:
            return None
        body = {"resolution_type": "problem_solved", "resolution": workload.description(rng)}
        return Request("POST", f"/api/v1/cases/{case_id}/resolve", json.dumps(body).encode())

    common = {
        "base": setup.base,
        "seconds": preset["seconds"],
        "warmup": preset["warmup"],
        "headers": auth,
        "min_requests": 20,
    }

    # Every worker imports and warms its code paths on first use: a few requests of each
    # read operation first, not counted (create warms with its own warm-up seconds).
    primer = Client(setup.base, auth)
    for make in (get, mine_agent, search(setup.words["medium"]), similar):
        for i in range(8):
            primer.send(make(0, i))
    primer.close()

    def point(op: str, make: Any, c: int, note: str = "", **extra: Any) -> None:
        if op not in setup.ops:
            return
        kwargs = {**common, **extra}
        record_point(
            setup, results, op, lambda: run_load(name=op, make=make, concurrency=c, **kwargs), note
        )

    for c in preset["concurrency"]:
        point("create", create, c, expect=frozenset({201}), on_answer=keep_created)
    for c in preset["concurrency"]:
        point("get", get, c)
    for c in preset["concurrency"]:
        point("list_mine", mine, c)
    for c in preset["concurrency"]:
        point("list_mine_agent", mine_agent, c)
    for cls in ("rare", "medium", "frequent"):
        for c in preset["concurrency"]:
            point(f"search_{cls}", search(setup.words[cls]), c)
    for c in preset["concurrency"]:
        point("similar", similar, c)

    if "resolve" not in setup.ops:
        return results, notes
    client = Client(setup.base, auth)
    probe_id = created.take()
    missing = (
        probe_missing(
            client,
            "POST",
            f"/api/v1/cases/{probe_id}/resolve",
            {"resolution_type": "problem_solved", "resolution": "Checked and fixed."},
        )
        if probe_id
        else "no created case left to resolve"
    )
    client.close()
    if missing:
        notes.append(f"resolve skipped: {missing}")
        log(notes[-1])
    else:
        # Each created case is resolved once; the pool splits evenly over the concurrencies.
        share = len(created.items) // max(1, len(preset["concurrency"]))
        for c in preset["concurrency"]:
            note = f"{share} cases created above, each resolved once"
            point("resolve", resolve, c, note, max_requests=share, warmup=0.0)
    return results, notes


def bulk_routing(setup: Setup, batches: int) -> dict[str, Any]:
    """POST /cases/route with 1,000 active case ids at a time, one request after another."""
    admin = Client(setup.base, {"Authorization": f"Bearer {setup.admin_token}"}, timeout=900)
    try:
        ids = list(setup.facts.get("route_case_ids", []))
        if len(ids) < 1000:
            return {"skipped": f"only {len(ids)} active cases to route"}
        missing = probe_missing(admin, "POST", "/api/v1/cases/route", {"case_ids": []})
        if missing:
            return {"skipped": missing}
        queue = admin.post("/api/v1/queues", {"name": "Bench routing", "type": "public"})
        if queue.status != 201:
            return {"skipped": f"POST /queues answered {queue.status}: {queue.body[:200]!r}"}
        queue_id = queue.json()["id"]
        rule_set = admin.post(
            "/api/v1/routing-rule-sets",
            {
                "name": "Bench rules",
                "items": [
                    {
                        "name": "high priority",
                        "conditions": [{"field": "priority", "op": "eq", "value": "high"}],
                        "route_to": {"queue_id": queue_id},
                    },
                    {
                        "name": "everything else",
                        "conditions": [{"field": "state", "op": "eq", "value": "active"}],
                        "route_to": {"queue_id": queue_id},
                    },
                ],
            },
        )
        if rule_set.status != 201:
            return {"skipped": f"rule set answered {rule_set.status}: {rule_set.body[:300]!r}"}
        activated = admin.post(f"/api/v1/routing-rule-sets/{rule_set.json()['id']}/activate", {})
        if activated.status != 200:
            return {"skipped": f"activate answered {activated.status}: {activated.body[:300]!r}"}
        timings: list[float] = []
        routed = failed = 0
        for batch in range(batches):
            chunk = ids[batch * 1000 : (batch + 1) * 1000]
            if len(chunk) < 1000:
                break
            t0 = time.perf_counter()
            answer = admin.post("/api/v1/cases/route", {"case_ids": chunk})
            timings.append(time.perf_counter() - t0)
            if answer.status != 200:
                return {"skipped": f"/cases/route answered {answer.status}: {answer.body[:300]!r}"}
            for item in answer.json()["results"]:
                if item.get("routed"):
                    routed += 1
                elif item.get("error"):
                    failed += 1
        total = sum(timings)
        return {
            "batches": len(timings),
            "cases": 1000 * len(timings),
            "routed": routed,
            "failed": failed,
            "seconds": [round(t, 3) for t in timings],
            "cases_per_s": round(1000 * len(timings) / total, 1) if total else None,
        }
    finally:
        admin.close()


# --------------------------------------------------------------------------- one engine


def run_engine(
    engine: str,
    preset: dict[str, Any],
    out: Path,
    figures: dict[str, Any],
    dataset: Dataset,
    ops: frozenset[str] = GROUPS["all"],
) -> None:
    """Fill `figures` as the run goes (a failure keeps what was measured before it)."""
    figures.update({"engine": engine, "notes": []})
    if figures["dataset"].get("reused"):
        figures["notes"].append(
            f"{engine}: data set reused from {figures['dataset'].get('built_at')} (its load "
            "rate was measured then, at load average "
            f"{figures['dataset'].get('load_average_when_built')})"
        )
    started = time.perf_counter()
    with dataset.copy(out / f"run-{engine}") as env:
        log(f"{engine}: copied the data set in {time.perf_counter() - started:.1f} s")
        agent_token = casedesk(env, "token", AGENT).strip()
        admin_token = casedesk(env, "token", ADMIN).strip()
        facts = side(
            env, "facts", "--sample", "500", "--route", str(1000 * preset["route_batches"])
        )
        figures["cases"] = facts["cases"]
        owner = facts["busiest_owner"] or {"username": AGENT, "id": "", "active": 0}
        owner_token = casedesk(env, "token", owner["username"]).strip()
        if not owner["id"]:
            owner["id"] = facts["agent_id"]
        figures["list_owner_active_cases"] = owner["active"]
        words = facts.get("words") or workload.search_words()
        figures["words"] = words

        figures["query_counts"] = side(
            env,
            "query-counts",
            "--token",
            owner_token,
            "--owner",
            owner["id"],
            "--word",
            words["medium"][0],
            "--case",
            facts["case_ids"][0],
        )
        log(f"{engine}: queries per request {figures['query_counts']}")
        if any(op in ops for op in PAGE_OPS):
            facts_path = out / f"run-{engine}" / "facts.json"
            facts_path.write_text(json.dumps({**facts, "words": words}))
            figures["page_queries"] = side(env, "page-queries", "--facts", str(facts_path))
            for op, row in figures["page_queries"].items():
                log(
                    f"{engine}: {op} {row['path']} -> {row['status']}, {row['queries']} queries,"
                    f" {row['sql_ms']} ms of SQL (slowest {row['slowest_sql_ms']} ms)"
                )

        threads = preset.get("threads")
        log(f"{engine}: serve --workers 2" + (f" --threads {threads}" if threads else ""))
        figures["serve_threads"] = threads or "default"
        with running_server(env, threads=threads) as (base, master_pid):
            cpu = ServerCpu(master_pid, db_backends(env) if engine == "postgres" else None)
            setup = Setup(
                base, agent_token, admin_token, owner_token, owner["id"], facts, words, cpu, ops
            )
            setup.server_log = ServerLog(Path(env["CASEDESK_DATA_DIR"]) / "serve.log")
            figures["rss_mb_idle"] = worker_rss_mb(master_pid)
            figures["http"], notes = http_scenarios(setup, preset)
            figures["notes"] += notes
            figures["pages"], notes = page_scenarios(setup, preset)
            figures["notes"] += notes
            figures["rss_mb"] = worker_rss_mb(master_pid)
            log(f"{engine}: RSS {figures['rss_mb']}")
            if "routing" in ops:
                figures["bulk_routing"] = bulk_routing(setup, preset["route_batches"])
                log(f"{engine}: bulk routing {figures['bulk_routing']}")
                figures["rss_mb_after_routing"] = worker_rss_mb(master_pid)

        if "import" in ops:
            log(f"{engine}: raw insert of {preset['raw_rows']} case rows")
            figures["raw_insert"] = side(env, "raw-insert", "--rows", str(preset["raw_rows"]))
            log(f"{engine}: raw {figures['raw_insert']}")
            figures["import"] = import_rate(env, preset, figures["dataset"])
            log(f"{engine}: import {figures['import']}")
    figures["seconds"] = round(time.perf_counter() - started, 1)


def import_rate(
    env: dict[str, str], preset: dict[str, Any], dataset: dict[str, Any]
) -> dict[str, Any]:
    """The bulk import rate, measured right after the raw insert rate on the same database:
    the product's own bulk import (`cases_import`, what `casedesk import cases` and
    `POST /cases/import` run: validation, reference checks, ticket numbers, cases, resolution
    activities, audit entries and search documents, 5,000 cases a transaction) appending
    `import_gen_rows` cases, timed without drawing the rows; and beside it cases created
    through `case_create` one at a time (what a script calling the create service gets)."""
    service = side(env, "service-import", "--rows", str(preset["import_rows"]), "--username", AGENT)
    out: dict[str, Any] = {"service_layer": service}
    bulk = side(env, "bulk-import", "--rows", str(preset["import_gen_rows"]), "--username", ADMIN)
    out.update(bulk)
    out["path"] = f"cases_import appending {preset['import_gen_rows']:,} cases"
    return out


# --------------------------------------------------------------------------- peer


def run_peer(preset: dict[str, Any], out: Path) -> dict[str, Any]:
    texts, words = workload.texts_and_words(preset["peer_tickets"], seed=5)
    return helpdesk_peer.run_peer(
        out=out / "peer",
        texts=texts,
        words=words,
        concurrencies=preset["concurrency"],
        search_concurrencies=preset.get("peer_search_concurrency"),
        seconds=preset["seconds"],
        warmup=preset["warmup"],
        port=free_port(),
    )


# --------------------------------------------------------------------------- main


def cpu_speed_ms() -> float:
    """CPU milliseconds of a fixed pure-Python workload: on a busy machine the same work takes
    more CPU time (shared caches and cores), which puts CPU-per-request figures in context."""
    started = time.process_time()
    total = 0
    for i in range(300_000):
        total += len(str(i)) + (i % 7)
    _ = {str(i): i for i in range(50_000)}
    return round(1000 * (time.process_time() - started), 1)


def machine() -> dict[str, Any]:
    load = os.getloadavg()
    return {
        "cpus": os.cpu_count(),
        "cpu_speed_ms_at_start": cpu_speed_ms(),
        "load_average_at_start": [round(x, 2) for x in load],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="quick")
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--cases", type=int)
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--peer-tickets", type=int)
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument(
        "--ops",
        default="all",
        help="what to measure, comma-separated: operations (create, get, ..., case_page_active,"
        " dashboard, ...), the parts routing, import and peer, or the groups api, pages, bulk,"
        " all (the default)",
    )
    parser.add_argument(
        "--concurrency", help="the concurrencies of the HTTP points, comma-separated (e.g. 4)"
    )
    parser.add_argument(
        "--fresh-data", action="store_true", help="rebuild the data sets even when cached"
    )
    parser.add_argument(
        "--build-only", action="store_true", help="only build (or check) the cached data sets"
    )
    parser.add_argument(
        "--threads",
        type=int,
        help="threads per server worker (default: `casedesk serve`'s, 1 on SQLite, 4 on"
        " PostgreSQL)",
    )
    parser.add_argument("--out", default=str(BENCH / "out"))
    args = parser.parse_args(argv)
    preset = dict(PRESETS[args.preset])
    if args.cases:
        preset["cases"] = args.cases
    if args.seconds:
        preset["seconds"] = args.seconds
    if args.peer_tickets:
        preset["peer_tickets"] = args.peer_tickets
    if args.threads:
        if args.threads < 1:
            parser.error("--threads: at least 1")
        preset["threads"] = args.threads
    try:
        ops = parse_ops(args.ops)
    except ValueError as exc:
        parser.error(str(exc))
    if args.concurrency:
        try:
            preset["concurrency"] = [int(c) for c in args.concurrency.split(",") if c.strip()]
        except ValueError:
            parser.error(f"--concurrency: whole numbers, not {args.concurrency!r}")
        if not preset["concurrency"] or min(preset["concurrency"]) < 1:
            parser.error("--concurrency: at least one, each at least 1")
        preset["peer_search_concurrency"] = preset["concurrency"]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "preset": args.preset,
        "settings": preset,
        "ops": sorted(ops),
        "machine": machine(),
        "engines": {},
    }
    started = time.perf_counter()

    def save() -> None:
        results["seconds"] = round(time.perf_counter() - started, 1)
        results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        results["machine"]["cpu_speed_ms_at_end"] = cpu_speed_ms()
        (out / "results.json").write_text(json.dumps(results, indent=2))
        (out / "results.md").write_text(report.markdown(results))

    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    datasets = {e: Dataset(e, preset["cases"], out) for e in engines}
    built = ensure_all(list(datasets.values()), log, fresh=args.fresh_data)
    results["data_seconds"] = round(time.perf_counter() - started, 1)
    if args.build_only:
        log(f"data sets ready in {results['data_seconds']} s: {json.dumps(built)[:2000]}")
        return 0
    for engine in engines:
        figures: dict[str, Any] = {"dataset": built[engine]}
        results["engines"][engine] = figures
        try:
            run_engine(engine, preset, out, figures, datasets[engine], ops)
        except Exception as exc:  # keep the other engine's figures, and this one's so far
            log(f"{engine} failed: {type(exc).__name__}: {exc}")
            figures["failed"] = f"{type(exc).__name__}: {exc}"
        save()
    if not args.no_peer and "peer" in ops:
        log("peer: django-helpdesk")
        try:
            results["peer"] = run_peer(preset, out)
        except Exception as exc:
            log(f"peer failed: {exc}")
            results["peer"] = {"failed": str(exc)}
        save()
    save()
    log(f"done in {results['seconds']} s: {out / 'results.json'}, {out / 'results.md'}")
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    raise SystemExit(main())
