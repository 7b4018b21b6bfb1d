"""Data sets for the benchmark: built once per engine and size, copied for every run.

A data set is a migrated database with the benchmark's two users (`bench_agent`, an agent, and
`bench_admin`, an administrator) and the cases of bench/generate.py. It is kept under
bench/out/cache/ (SQLite: the data dir) or as the PostgreSQL database
`casedesk_benchcache_<cases>_<key>`, where the key changes with the generator, the
vocabulary and the migrations; each run works on a copy (a file copy, or
`CREATE DATABASE ... TEMPLATE`), so the cases a run creates or resolves never reach the next
run. Without bench/generate.py the cases are made through the services (small sizes only).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = sys.executable
CASEDESK = str(Path(sys.executable).with_name("casedesk"))
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
AGENT, ADMIN = "bench_agent", "bench_admin"
PASSWORD = "bench-password-0451"

Log = Callable[[str], None]


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    for name in ("DATABASE_URL", "CASEDESK_RATE_LIMIT", "CASEDESK_DATA_DIR"):
        env.pop(name, None)
    return env


def pg_url(name: str) -> str:
    return urlunparse(urlparse(PG_ADMIN_URL)._replace(path=f"/{name}"))


def pg_admin(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        cursor = conn.execute(sql, params or [])
        return cursor.fetchall() if cursor.description else []


def casedesk(env: dict[str, str], *args: str, timeout: float = 600, stdin: str = "") -> str:
    """`casedesk ARGS`, with `stdin` as its standard input (a password, for one)."""
    done = subprocess.run(
        [CASEDESK, *args], env=env, capture_output=True, text=True, timeout=timeout, input=stdin
    )
    if done.returncode != 0:
        raise RuntimeError(f"casedesk {' '.join(args)} failed: {done.stderr.strip()[-2000:]}")
    return done.stdout


def side(env: dict[str, str], *args: str, timeout: float = 7200) -> dict[str, Any]:
    """One command of casedesk_side.py in its own process; its JSON answer."""
    done = subprocess.run(
        [PYTHON, str(BENCH / "casedesk_side.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise RuntimeError(f"casedesk_side {' '.join(args)} failed: {done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def generator_available() -> bool:
    return (BENCH / "generate.py").exists()


def cache_key() -> str:
    """Changes with what shapes the data: the generator and its vocabulary. Later migrations
    are applied to each copy, so they do not invalidate a data set (a million cases take several
    minutes to build here)."""
    digest = hashlib.sha1()
    files = [BENCH / "generate.py", BENCH / "vocabulary.py"]
    for path in files:
        if path.exists():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def _phase_seconds(stderr: str) -> tuple[float | None, float | None]:
    """From the generator's progress lines: when customers were done and when cases were."""
    customers = cases = None
    for line in stderr.splitlines():
        found = re.search(r"\((\d+(?:\.\d+)?)s\)\s*$", line)
        if not found:
            continue
        if line.startswith("customers:"):
            customers = float(found.group(1))
        elif line.startswith("cases:"):
            cases = float(found.group(1))
    return customers, cases


def _populate(env: dict[str, str], cases: int) -> dict[str, Any]:
    """Migrate, the two users, the cases. Returns how the cases were loaded, and how fast."""
    t0 = time.perf_counter()
    casedesk(env, "migrate", "--no-input", "-v", "0")
    info: dict[str, Any] = {"migrate_seconds": round(time.perf_counter() - t0, 1)}
    casedesk(env, "user", "add", AGENT, "--password-stdin", "--role", "agent", stdin=PASSWORD)
    casedesk(env, "user", "add", ADMIN, "--password-stdin", "--role", "admin", stdin=PASSWORD)
    started = time.perf_counter()
    if generator_available():
        done = subprocess.run(
            [PYTHON, "-m", "bench.generate", "--cases", str(cases)],
            env=env,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        if done.returncode != 0:
            raise RuntimeError(f"bench.generate failed: {done.stderr[-3000:]}")
        info["loader"] = (
            "bench/generate.py (executemany / COPY, 5,000 cases a transaction,"
            " secondary indexes built after the load)"
        )
        customers_done, cases_done = _phase_seconds(done.stderr)
        if customers_done is not None and cases_done is not None and cases_done > customers_done:
            # Whole seconds only: the case phase of the generator, customers excluded.
            info["case_phase_seconds"] = cases_done - customers_done
            info["case_phase_cases_per_s"] = round(cases / (cases_done - customers_done), 1)
        info["log"] = done.stderr[-1500:]
    else:
        info.update(side(env, "seed", "--cases", str(cases), "--username", AGENT))
        info["loader"] = "casedesk_side.py seed (services, one case at a time)"
    info["seconds"] = round(time.perf_counter() - started, 1)
    info["cases_per_s"] = round(cases / info["seconds"], 1) if info["seconds"] else None
    info["built_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    info["load_average_when_built"] = [round(x, 2) for x in os.getloadavg()]
    return info


class Dataset:
    """One engine's cached data set of `cases` cases."""

    def __init__(self, engine: str, cases: int, out: Path):
        self.engine = engine
        self.cases = cases
        self.key = cache_key()
        self.root = out / "cache"
        self.name = f"{engine}-{cases}-{self.key}"
        self.dir = self.root / self.name
        self.marker = self.root / f"{self.name}.json"
        self.pg_name = f"casedesk_benchcache_{cases}_{self.key}"

    def info(self) -> dict[str, Any] | None:
        if not self.marker.exists():
            return None
        if self.engine == "postgres" and not pg_admin(
            "SELECT 1 FROM pg_database WHERE datname = %s", [self.pg_name]
        ):
            return None
        return dict(json.loads(self.marker.read_text()))

    def _drop(self) -> None:
        self.marker.unlink(missing_ok=True)
        if self.dir.exists():
            shutil.rmtree(self.dir)
        if self.engine == "postgres":
            pg_admin(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')

    def drop_stale(self) -> None:
        """Remove this engine's data sets of the same size built with another key."""
        for marker in self.root.glob(f"{self.engine}-{self.cases}-*.json"):
            if marker.name == self.marker.name:
                continue
            stale = Dataset(self.engine, self.cases, self.root.parent)
            stale.name = marker.stem
            stale.key = marker.stem.rsplit("-", 1)[-1]
            stale.dir, stale.marker = self.root / stale.name, marker
            stale.pg_name = f"casedesk_benchcache_{self.cases}_{stale.key}"
            stale._drop()

    def build(self, log: Log) -> dict[str, Any]:
        self.drop_stale()
        self._drop()
        self.root.mkdir(parents=True, exist_ok=True)
        env = base_env()
        self.dir.mkdir(parents=True)
        env["CASEDESK_DATA_DIR"] = str(self.dir / "data")
        if self.engine == "postgres":
            pg_admin(f'CREATE DATABASE "{self.pg_name}"')
            env["DATABASE_URL"] = pg_url(self.pg_name)
        log(f"{self.engine}: building the data set of {self.cases:,} cases ({self.name})")
        info = _populate(env, self.cases)
        info["cache"] = self.name
        self.marker.write_text(json.dumps(info, indent=2))
        log(f"{self.engine}: data set built in {info['seconds']} s")
        return info

    def ensure(self, log: Log, fresh: bool = False) -> dict[str, Any]:
        found = None if fresh else self.info()
        if found is not None:
            log(f"{self.engine}: reusing the data set {self.name} built {found.get('built_at')}")
            return {**found, "reused": True}
        return {**self.build(log), "reused": False}

    @contextlib.contextmanager
    def copy(self, run_dir: Path) -> Iterator[dict[str, str]]:
        """An environment naming a copy of the data set (dropped after), migrated to the
        current schema."""
        if run_dir.exists():
            shutil.rmtree(run_dir)
        run_dir.mkdir(parents=True)
        env = base_env()
        env["CASEDESK_DATA_DIR"] = str(run_dir / "data")
        shutil.copytree(self.dir / "data", run_dir / "data")
        if self.engine == "sqlite":
            try:
                casedesk(env, "migrate", "--no-input", "-v", "0", timeout=3600)
                yield env
            finally:
                # The copy goes; the server's log stays beside it for a look after the run.
                for path in (run_dir / "data").glob("casedesk.sqlite3*"):
                    path.unlink()
            return
        name = f"casedesk_bench_{uuid.uuid4().hex[:10]}"
        pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.pg_name}" STRATEGY FILE_COPY')
        env["DATABASE_URL"] = pg_url(name)
        try:
            casedesk(env, "migrate", "--no-input", "-v", "0", timeout=3600)
            yield env
        finally:
            pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def ensure_all(datasets: list[Dataset], log: Log, fresh: bool = False) -> dict[str, dict[str, Any]]:
    """Every data set, the missing ones built side by side (one process each: the generator
    uses one core, and this machine has two)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, len(datasets))) as pool:
        futures = {d.engine: pool.submit(d.ensure, log, fresh) for d in datasets}
        return {engine: future.result() for engine, future in futures.items()}
