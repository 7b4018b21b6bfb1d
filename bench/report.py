"""The Markdown report of a benchmark run (bench/out/results.md) from its results.json."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pages import PAGE_OPS

OPS = (
    "create",
    "get",
    "list_mine",
    "list_mine_agent",
    "search_rare",
    "search_medium",
    "search_frequent",
    "similar",
    "resolve",
)
ENGINES = ("sqlite", "postgres")
# The web pages (bench/pages.py, in report order) have a target: p95 at c=4.
PAGE_TARGET_MS = 50.0
PAGE_TARGET_CONCURRENCY = 4


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _find(rows: list[dict[str, Any]], op: str, concurrency: int) -> dict[str, Any] | None:
    for row in rows:
        if row["op"] == op and row["concurrency"] == concurrency:
            return row
    return None


def _ratio(ours: float | None, theirs: float | None) -> float | None:
    if not ours or not theirs:
        return None
    return ours / theirs


def _share(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f} %"


def _cpu(row: dict[str, Any]) -> str:
    """Server CPU per request: the app workers, plus the database backends on PostgreSQL."""
    app, db = row.get("app_cpu_ms"), row.get("db_cpu_ms")
    if app is None:
        return "–"
    return f"{app:.1f}" if db is None else f"{app:.1f} + {db:.1f}"


def _latency_table(
    results: dict[str, Any],
    part: str,
    ops: tuple[str, ...],
    first: str,
    p99: bool,
    server: bool = False,
) -> list[str]:
    """One row per operation and concurrency of a run's `part` ("http" or "pages"): per
    engine, throughput, p50, p95 (and p99) and server CPU per request (and, with `server`,
    the p95 of the server time, bench/server_time.py)."""
    engines = [e for e in ENGINES if results["engines"].get(e, {}).get(part)]
    if not engines:
        return [f"(no {'page' if part == 'pages' else 'HTTP'} figures)"]
    columns = [
        "req/s",
        "p50 ms",
        "p95 ms",
        *(["p99 ms"] if p99 else []),
        *(["server p95 ms"] if server else []),
        "CPU ms/req",
    ]
    head = f"| {first} | c |"
    rule = "|---|---:|"
    for engine in engines:
        head += f" {engine} " + " | ".join(columns) + " |"
        rule += "---:|" * len(columns)
    lines = [head, rule]
    concurrencies = sorted({r["concurrency"] for e in engines for r in results["engines"][e][part]})
    for op in ops:
        for c in concurrencies:
            cells = []
            seen = False
            for engine in engines:
                row = _find(results["engines"][engine][part], op, c)
                if row is None:
                    cells += ["–"] * len(columns)
                    continue
                seen = True
                errors = f" ({row['errors']} err)" if row["errors"] else ""
                cells += [
                    _fmt(row["throughput_rps"]) + errors,
                    _fmt(row["p50_ms"]),
                    _fmt(row["p95_ms"]),
                    *([_fmt(row["p99_ms"])] if p99 else []),
                    *([_fmt(row.get("server_p95_ms"))] if server else []),
                    _cpu(row),
                ]
            if seen:
                lines.append(f"| {op} | {c} | " + " | ".join(cells) + " |")
    return lines


def http_table(results: dict[str, Any]) -> list[str]:
    return _latency_table(results, "http", OPS, "operation", p99=False)


def pages_table(results: dict[str, Any]) -> list[str]:
    """The web pages: throughput, p50/p95/p99 and server CPU per request, per engine."""
    lines = _latency_table(results, "pages", PAGE_OPS, "page", p99=True, server=True)
    if len(lines) == 1:
        return lines
    engines = [e for e in ENGINES if results["engines"].get(e, {}).get("pages")]
    paths = {}
    for engine in engines:
        for op, row in results["engines"][engine].get("page_queries", {}).items():
            paths.setdefault(op, row["path"])
    if paths:
        lines += [
            "",
            "Paths (the case pages: random cases of that state; the search pages: "
            "one word after another):",
            "",
        ]
        lines += [f"- {op}: `{path}`" for op, path in paths.items()]
    return lines


def page_targets(results: dict[str, Any]) -> list[str]:
    """Each page's p95 of server time at c=4 against the target, per engine, beside the p95
    its clients measured (which adds the wait for a free worker)."""
    c = PAGE_TARGET_CONCURRENCY
    lines = [
        "| page | "
        + " | ".join(f"{e} server p95 ms (c={c}) | client p95 ms | met" for e in ENGINES)
        + " |",
        "|---|" + "---:|---:|:---:|" * len(ENGINES),
    ]
    for op in PAGE_OPS:
        cells = []
        seen = False
        for engine in ENGINES:
            row = _find(results["engines"].get(engine, {}).get("pages", []), op, c)
            if row is None or row["p95_ms"] is None:
                cells += ["–", "–", "–"]
                continue
            seen = True
            server = row.get("server_p95_ms")
            met = server is not None and server <= PAGE_TARGET_MS and not row["errors"]
            cells += [_fmt(server), _fmt(row["p95_ms"]), "yes" if met else "**no**"]
        if seen:
            lines.append(f"| {op} | " + " | ".join(cells) + " |")
    return lines


def bulk_table(results: dict[str, Any]) -> list[str]:
    lines = [
        "| figure | " + " | ".join(ENGINES) + " |",
        "|---|" + "---:|" * len(ENGINES),
    ]

    def row(label: str, getter: Any) -> None:
        cells = []
        for engine in ENGINES:
            figures = results["engines"].get(engine, {})
            try:
                cells.append(_fmt(getter(figures)))
            except (KeyError, TypeError, ZeroDivisionError):
                cells.append("–")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    row("cases in the database", lambda f: f["cases"])
    row("data set load, cases/s", lambda f: f["dataset"]["cases_per_s"])
    row("bulk routing, cases/s", lambda f: f["bulk_routing"]["cases_per_s"])
    row("raw insert of case rows (one index), rows/s", lambda f: f["raw_insert"]["rows_per_s"])
    row(
        "raw insert of case rows (the case table's indexes), rows/s",
        lambda f: f["raw_insert"]["indexed_rows_per_s"],
    )
    row("bulk import (`cases_import`), cases/s", lambda f: f["import"]["rows_per_s"])
    row(
        "bulk import ÷ raw insert (one index)",
        lambda f: f"{100 * f['import']['rows_per_s'] / f['raw_insert']['rows_per_s']:.1f} %",
    )
    row(
        "bulk import ÷ raw insert (the case table's indexes)",
        lambda f: _share(f["import"]["rows_per_s"], f["raw_insert"]["indexed_rows_per_s"]),
    )
    row(
        "import through the service layer, cases/s",
        lambda f: f["import"]["service_layer"]["rows_per_s"],
    )
    row(
        "service layer ÷ raw insert",
        lambda f: _share(f["import"]["service_layer"]["rows_per_s"], f["raw_insert"]["rows_per_s"]),
    )
    row("RSS per worker after the run, MB", lambda f: ", ".join(map(str, f["rss_mb"]["workers"])))
    row(
        "RSS per worker after bulk routing, MB",
        lambda f: ", ".join(map(str, f["rss_mb_after_routing"]["workers"])),
    )
    row("active cases of the listed owner", lambda f: f["list_owner_active_cases"])
    return lines


def query_table(results: dict[str, Any]) -> list[str]:
    lines = ["| request | " + " | ".join(ENGINES) + " |", "|---|" + "---:|" * len(ENGINES)]
    names = ("list_mine", "list_all", "search", "similar")
    for name in names:
        cells = []
        for engine in ENGINES:
            counts = results["engines"].get(engine, {}).get("query_counts", {}).get(name)
            cells.append(
                f"{counts['limit_5']} / {counts['limit_50']}" if isinstance(counts, dict) else "–"
            )
        lines.append(f"| {name} (limit 5 / limit 50) | " + " | ".join(cells) + " |")
    cells = [
        _fmt(results["engines"].get(e, {}).get("query_counts", {}).get("get")) for e in ENGINES
    ]
    lines.append("| get case | " + " | ".join(cells) + " |")
    for op in PAGE_OPS:
        cells = []
        for engine in ENGINES:
            row = results["engines"].get(engine, {}).get("page_queries", {}).get(op)
            if not row:
                cells.append("–")
            elif row["status"] != 200:
                cells.append(f"status {row['status']}")
            else:
                cells.append(f"{row['queries']} ({row['sql_ms']} ms SQL)")
        if any(cell != "–" for cell in cells):
            lines.append(f"| page {op} | " + " | ".join(cells) + " |")
    return lines


def peer_table(results: dict[str, Any]) -> list[str]:
    peer = results.get("peer") or {}
    if "results" not in peer:
        return [f"(peer not measured: {peer.get('failed', 'skipped')})"]
    ours = results["engines"].get("sqlite", {}).get("http", [])
    lines = [
        f"django-helpdesk {peer['versions'].get('django-helpdesk')} "
        f"(Django {peer['versions'].get('Django')}, DRF "
        f"{peer['versions'].get('djangorestframework')}), {peer['tickets']:,} tickets, SQLite "
        f"WAL, gunicorn 2 workers (gthread, {peer.get('threads', 4)} thread(s) a worker, as "
        "casedesk on SQLite). Keyword search: "
        f"{peer['search_endpoint']}, page of {peer['page']}. casedesk: SQLite, "
        f"{results['engines'].get('sqlite', {}).get('cases', 0):,} cases, its default page of 50.",
        "",
        "| operation | c | peer req/s | peer p95 ms | peer CPU ms/req | casedesk req/s "
        "| casedesk p95 ms | casedesk CPU ms/req | req/s ours ÷ peer | p95 ours ÷ peer "
        "| CPU ours ÷ peer |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for op in ("create", "search_rare", "search_medium", "search_frequent"):
        for row in [r for r in peer["results"] if r["op"] == op]:
            mine = _find(ours, op, row["concurrency"]) or {}
            rps = _ratio(mine.get("throughput_rps"), row["throughput_rps"])
            p95 = _ratio(mine.get("p95_ms"), row["p95_ms"])
            cpu = _ratio(mine.get("app_cpu_ms"), row.get("app_cpu_ms"))
            lines.append(
                f"| {op} | {row['concurrency']} | {_fmt(row['throughput_rps'])} | "
                f"{_fmt(row['p95_ms'])} | {_fmt(row.get('app_cpu_ms'))} | "
                f"{_fmt(mine.get('throughput_rps'))} | {_fmt(mine.get('p95_ms'))} | "
                f"{_fmt(mine.get('app_cpu_ms'))} | {_fmt(rps, 2)} | {_fmt(p95, 3)} | "
                f"{_fmt(cpu, 3)} |"
            )
    workers = ", ".join(map(str, peer.get("rss_mb", {}).get("workers", [])))
    lines += ["", f"Peer RSS per worker after its run: {workers} MB."]
    return lines


def targets(results: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    """Issue #10 item 3, on SQLite: (target, measured, met)."""
    sq = results["engines"].get("sqlite", {})
    http = sq.get("http", [])
    peer = results.get("peer", {}).get("results", [])
    out: list[tuple[str, str, bool | None]] = []
    create4 = _find(http, "create", 4)
    peer4 = _find(peer, "create", 4) if peer else None
    if create4 and peer4:
        ratio = create4["throughput_rps"] / max(peer4["throughput_rps"], 1e-9)
        out.append(("create ≥ 4× the peer's throughput, c=4", f"{ratio:.1f}×", ratio >= 4))
    if create4:
        out.append(("create p95 ≤ 25 ms, c=4", f"{create4['p95_ms']} ms", create4["p95_ms"] <= 25))
    for op in (
        "search_rare",
        "search_medium",
        "search_frequent",
        "similar",
        "list_mine",
        "list_mine_agent",
    ):
        for c in (1, 4):
            row = _find(http, op, c)
            if row and row["p95_ms"] is not None:
                out.append((f"{op} p95 ≤ 20 ms, c={c}", f"{row['p95_ms']} ms", row["p95_ms"] <= 20))
    counts = sq.get("query_counts", {}).get("list_mine")
    if isinstance(counts, dict):
        same = counts.get("limit_5") == counts.get("limit_50")
        out.append(
            ("list: constant queries", f"{counts.get('limit_5')} / {counts.get('limit_50')}", same)
        )
    routing = sq.get("bulk_routing", {})
    if routing.get("cases_per_s"):
        out.append(
            (
                "bulk routing ≥ 5,000 cases/s",
                f"{routing['cases_per_s']:,.0f}/s",
                routing["cases_per_s"] >= 5000,
            )
        )
    elif routing.get("skipped"):
        out.append(("bulk routing ≥ 5,000 cases/s", "not measured", None))
    if sq.get("import") and sq.get("raw_insert"):
        share = sq["import"]["rows_per_s"] / sq["raw_insert"]["rows_per_s"]
        out.append(("import ≥ 30 % of raw insert", f"{100 * share:.1f} %", share >= 0.30))
    rss = sq.get("rss_mb_after_routing") or sq.get("rss_mb")
    if rss and rss.get("workers"):
        top = max(rss["workers"])
        out.append(("≤ 150 MB resident per worker", f"{top} MB", top <= 150))
    return out


def _threads_text(results: dict[str, Any]) -> str:
    chosen = {
        engine: figures.get("serve_threads")
        for engine, figures in results.get("engines", {}).items()
        if figures.get("serve_threads") not in (None, "default")
    }
    if not chosen:
        return "its default threads: 1 a worker on SQLite, 4 on PostgreSQL"
    return "threads a worker: " + ", ".join(f"{e} {t}" for e, t in chosen.items())


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    s = results["settings"]
    lines = [
        f"# casedesk benchmark ({results['preset']})",
        "",
        f"{m['when']}, {m['cpus']} CPUs, Python {m['python']}; load average at start "
        f"{m['load_average_at_start']}, at end {m.get('load_average_at_end')}; CPU "
        f"speed probe {m.get('cpu_speed_ms_at_start')} / {m.get('cpu_speed_ms_at_end')} ms "
        "(lower is faster; a quiet machine gives the lowest). "
        f"{s['cases']:,} cases asked for; {s['seconds']} s per point after {s['warmup']} s "
        f"of warm-up; `casedesk serve --workers 2` (gthread; {_threads_text(results)}). Total "
        f"{results.get('seconds')} s.",
        "",
        "## HTTP (closed loop: c clients sending back to back)",
        "",
        *http_table(results),
        "",
        "## Pages (the web workspace, signed in with a session cookie as `bench`)",
        "",
        *pages_table(results),
        "",
        f"Target: p95 of server time under {PAGE_TARGET_MS:.0f} ms at"
        f" c={PAGE_TARGET_CONCURRENCY} (the request log's duration_ms; bench/server_time.py).",
        "",
        *page_targets(results),
        "",
        "## Bulk paths and memory",
        "",
        *bulk_table(results),
        "",
        "## SQL queries per request",
        "",
        "API reads at limit 5 / 50; pages: queries of one request (the second of the page in "
        "a process), with the database time of those queries in that process.",
        "",
        *query_table(results),
        "",
        "## The peer",
        "",
        *peer_table(results),
        "",
        "## Targets (SQLite)",
        "",
        "| target | measured | met |",
        "|---|---:|:---:|",
    ]
    for name, value, met in targets(results):
        mark = "–" if met is None else ("yes" if met else "**no**")
        lines.append(f"| {name} | {value} | {mark} |")
    notes = [n for e in ENGINES for n in results["engines"].get(e, {}).get("notes", [])]
    for engine in ENGINES:
        figures = results["engines"].get(engine, {})
        if figures.get("failed"):
            notes.append(f"{engine} failed: {figures['failed']}")
        if figures.get("bulk_routing", {}).get("skipped"):
            notes.append(f"{engine} bulk routing: {figures['bulk_routing']['skipped']}")
        if figures.get("dataset"):
            notes.append(f"{engine} data set: {figures['dataset'].get('loader')}")
    if notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "bench/out/results.json")
    sys.stdout.write(markdown(json.loads(path.read_text())))
