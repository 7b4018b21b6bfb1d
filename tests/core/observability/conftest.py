from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from casedesk.core.observability import logs

LogLines = Callable[..., list[dict[str, Any]]]


@pytest.fixture
def log_lines() -> Iterator[LogLines]:
    """The JSON lines casedesk's loggers write meanwhile, through the product's JSON format;
    `log_lines(event="request")` keeps those whose fields match."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.formatter("json"))
    logger = logging.getLogger("casedesk")
    logger.addHandler(handler)

    def lines(**match: Any) -> list[dict[str, Any]]:
        parsed = [json.loads(line) for line in stream.getvalue().splitlines()]
        return [p for p in parsed if all(p.get(k) == v for k, v in match.items())]

    try:
        yield lines
    finally:
        logger.removeHandler(handler)


def scrape(client: Client | None = None, **headers: str) -> dict[tuple[str, frozenset[Any]], float]:
    """/metrics as {(sample name, labels): value}."""
    response = (client or Client()).get("/metrics", headers=headers)
    assert response.status_code == 200, response.content[:300]
    return parse_metrics(response.content.decode())


def parse_metrics(text: str) -> dict[tuple[str, frozenset[Any]], float]:
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


# Runs in a separate process: one request through Django's test client, printed as JSON.
_REQUEST = """
import json, os, sys
os.environ['DJANGO_SETTINGS_MODULE'] = 'casedesk.settings'
import django; django.setup()
from django.test import Client
r = Client().get(sys.argv[1])
print(json.dumps({"status": r.status_code, "body": r.content.decode()}))
"""


def request_in_process(env: dict[str, str], path: str) -> tuple[int, str, str]:
    """GET `path` in a new process with `env`: its status, its body and the process's
    standard error."""
    env = {**env, "CASEDESK_ALLOWED_HOSTS": "testserver"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    out = subprocess.run(
        [sys.executable, "-c", _REQUEST, path],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    answer = json.loads(out.stdout.strip().splitlines()[-1])
    return int(answer["status"]), str(answer["body"]), out.stderr


def unreachable_database_env(tmp_path: Any, engine: str) -> dict[str, str]:
    """An environment whose database cannot be reached: a PostgreSQL port nobody listens on,
    or an SQLite file in a folder that does not exist."""
    env = dict(os.environ, CASEDESK_DATA_DIR=str(tmp_path / "data"))
    if engine == "postgresql":
        env.update(
            DATABASE_URL="postgres://postgres@127.0.0.1:1/none", CASEDESK_DB_POOL_TIMEOUT="2"
        )
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path}/missing/casedesk.sqlite3"
    return env
