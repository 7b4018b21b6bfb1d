"""Benchmark search on a database made by bench/generate.py: p50/p95 in milliseconds.

    DATABASE_URL=... CASEDESK_DATA_DIR=... python -m bench.search_bench [--runs 40]

Wall-clock p50/p95 and the benchmark process's CPU time (for SQLite, which runs in the
process, that is the work itself; on a busy machine wall-clock time includes waiting for a
core). Measures what an API call does below HTTP (selector + rendering of the page), for rare,
medium and frequent words:
- keyword search: GET /cases?search=WORD (first page of 50, list order);
- subject search: GET /cases/{id}/similar?subject_id=ROOT&include_subsubjects=true;
- similar cases:  GET /cases/{id}/similar?q=WORDS (resolved, ranked, 20);
- customer lookup: GET /customers?search=TEXT (20).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casedesk.settings")
    import django

    django.setup()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def measure(run: Callable[[Any], Any], inputs: list[Any], runs: int) -> dict[str, float]:
    for value in inputs[:3]:
        run(value)  # warm the caches the way a running server has them
    times, cpu = [], []
    for i in range(runs):
        value = inputs[i % len(inputs)]
        start, start_cpu = time.perf_counter(), time.process_time()
        run(value)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return {
        "p50": round(statistics.median(times), 2),
        "p95": round(percentile(times, 0.95), 2),
        "max": round(max(times), 2),
        "cpu_p50": round(statistics.median(cpu), 2),
        "cpu_p95": round(percentile(cpu, 0.95), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Search benchmark (p50/p95 in ms).")
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--json", default="")
    args = parser.parse_args(argv)
    _setup()

    from django.db import connection

    from bench import vocabulary as vocab
    from casedesk.api.routers.cases import case_out
    from casedesk.api.routers.similar import candidate_out
    from casedesk.cases.models import Case
    from casedesk.cases.selectors import CaseFilters, case_list
    from casedesk.catalog.models import Subject
    from casedesk.core.pagination import paginate
    from casedesk.customers.models import Contact
    from casedesk.customers.selectors import customer_search
    from casedesk.search.similar import similar_cases
    from casedesk.search.text import stem

    load = os.getloadavg()
    rng = random.Random(11)
    total = Case.objects.count()
    newest = Case.objects.order_by("-number").values_list("id", flat=True)[:200]
    current_ids = list(newest)
    roots = list(Subject.objects.filter(parent__isnull=True).values_list("id", flat=True))
    classes = vocab.by_class()

    def doc_count(word: str) -> int:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(
                    "SELECT count(*) FROM search_case_fts WHERE search_case_fts MATCH %s",
                    [f'{{title resolution description}} : "{stem(word)}"'],
                )
            else:
                cursor.execute(
                    "SELECT count(*) FROM search_case_doc"
                    " WHERE document @@ plainto_tsquery('simple', %s)",
                    [stem(word)],
                )
            return int(cursor.fetchone()[0])

    def keyword(word: str) -> None:
        found = case_list(CaseFilters(search=word), viewer=None)
        page = paginate(found, order=("-created_at", "-id"))
        [case_out(c, None) for c in page.items]

    def subject_search(subject_id: Any) -> None:
        page = similar_cases(
            case_id=rng.choice(current_ids), subject_id=subject_id, include_subsubjects=True
        )
        [candidate_out(c) for c in page.items]

    def similar(words: str) -> None:
        page = similar_cases(case_id=rng.choice(current_ids), q=words)
        [candidate_out(c) for c in page.items]

    def lookup(text: str) -> None:
        customer_search(text=text, limit=20)

    emails = list(Contact.objects.order_by("?").values_list("email", flat=True)[:10])
    customer_inputs = {
        "frequent": ["ma", "ros", "ri", "con", "an", "mar"],
        "medium": ["moretti", "fontana", "serra", "villa", "giulia ricci", "de luca"],
        "rare": [e.split("@")[0] for e in emails],
    }
    results: dict[str, Any] = {
        "engine": connection.vendor,
        "cases": total,
        "runs": args.runs,
        "doc_frequency": {
            name: {w: doc_count(w) for w in words[:4]} for name, words in classes.items()
        },
        "timings": {},
    }
    for name, words in classes.items():
        pairs = [f"{a} {b}" for a, b in zip(words, words[1:] + words[:1], strict=True)]
        results["timings"][name] = {
            "keyword search": measure(keyword, words, args.runs),
            "similar cases": measure(similar, pairs, args.runs),
            "customer lookup": measure(lookup, customer_inputs[name], args.runs),
        }
    results["timings"]["(no words)"] = {"subject search": measure(subject_search, roots, args.runs)}
    print(f"engine {results['engine']}, {total} cases, {args.runs} runs each; ms")
    print("| class | operation | p50 | p95 | max | cpu p50 | cpu p95 |")
    print("|---|---|---|---|---|---|---|")
    for name, ops in results["timings"].items():
        for op, t in ops.items():
            print(
                f"| {name} | {op} | {t['p50']} | {t['p95']} | {t['max']} | {t['cpu_p50']} |"
                f" {t['cpu_p95']} |"
            )
    print(f"load average before: {load[0]:.2f}, after: {os.getloadavg()[0]:.2f}")
    print("documents per word:", json.dumps(results["doc_frequency"], ensure_ascii=False))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
