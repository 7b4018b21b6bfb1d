from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from casedesk import config
from casedesk.cli import static, supervise
from casedesk.cli.base import Command as BaseCommand


def _port(value: str) -> int:
    port = int(value)
    if not 1 <= port <= 65535:
        raise ValueError(value)
    return port


def _workers(value: str) -> int:
    workers = int(value)
    if not 1 <= workers <= 64:
        raise ValueError(value)
    return workers


def default_threads() -> int:
    """Threads per worker when `--threads` is not given.

    SQLite runs inside the worker: a request is CPU from start to end, and two requests in
    one process only take turns on its interpreter lock, each finishing later (measured at
    concurrency 4 with 2 workers: 1 thread gave 8-35 % more requests a second and a p95
    a third to a half lower than 4 threads; docs/performance.md). On PostgreSQL a request
    also waits for the database server, and other threads use that time.
    """
    return 1 if connections[DEFAULT_DB_ALIAS].vendor == "sqlite" else 4


class Command(BaseCommand):
    help = (
        "Serve casedesk with several worker processes, and a background worker unless"
        " --no-worker, in the foreground."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=_port, default=8000)
        parser.add_argument("--workers", type=_workers, default=max(2, (os.cpu_count() or 1)))
        parser.add_argument(
            "--threads",
            type=_workers,
            default=None,
            help="threads per worker (default: 1 on SQLite, 4 on PostgreSQL; see"
            " docs/deployment.md)",
        )
        parser.add_argument("--timeout", type=int, default=60)
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="start no background worker beside the server (run 'casedesk worker' elsewhere)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        require_migrated()
        try:
            static.ensure_collected()
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot collect the static files: {exc}".splitlines()[0]) from exc
        # The key must exist before the workers fork: each would otherwise make its own.
        config.ensure_secret_key()
        hosts = [h for h in os.environ.get("CASEDESK_ALLOWED_HOSTS", "").split(",") if h]
        host = options["host"]
        if host not in ("0.0.0.0", "::") and host not in hosts:
            hosts.append(
                host.strip("[]") if ":" not in host.strip("[]") else f"[{host.strip('[]')}]"
            )
        # The server's environment; this process's own is left as it was.
        env = dict(os.environ, CASEDESK_ALLOWED_HOSTS=",".join(hosts))
        env["PROMETHEUS_MULTIPROC_DIR"] = str(self._reset_metrics_dir())
        bind = f"[{host}]:{options['port']}" if ":" in host else f"{host}:{options['port']}"
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "casedesk.wsgi:application",
            "--config",
            "python:casedesk.cli.gunicorn_config",
            "--bind",
            bind,
            "--workers",
            str(options["workers"]),
            "--worker-class",
            "gthread",
            "--threads",
            str(options["threads"] or default_threads()),
            "--timeout",
            str(options["timeout"]),
            "--graceful-timeout",
            "10",
            "--keep-alive",
            "5",
            "--error-logfile",
            "-",
            "--log-level",
            "info",
            "--no-control-socket",
            "--forwarded-allow-ips",
            "127.0.0.1",
        ]
        connections.close_all()
        sys.stdout.flush()
        sys.stderr.flush()
        if options["no_worker"]:
            # The server replaces this process: SIGTERM/SIGINT reach gunicorn's arbiter, which
            # stops every worker before exiting.
            os.execve(sys.executable, argv, env)
            return
        # gunicorn and a background worker as children of this process (cli/supervise.py).
        worker = [sys.executable, "-m", "casedesk", "worker"]
        status = supervise.Supervisor(argv, worker, env).run()
        if status:
            raise CommandError(f"stopped with status {status}", returncode=status)

    def _reset_metrics_dir(self) -> Path:
        """The workers' metrics folder, emptied: /metrics adds up the files in it, and those
        of an earlier run would count twice (prometheus_client's multiprocess mode)."""
        path = config.metrics_dir()
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        return path


def require_migrated() -> None:
    """Refuse to start on a database that is not migrated (or cannot be opened)."""
    try:
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:
        raise CommandError(f"cannot open the database: {exc}".splitlines()[0]) from exc
    finally:
        connections.close_all()
    if pending:
        raise CommandError("the database is not migrated; run 'casedesk migrate' first")
