"""The `slow` marker means what it says: a test that starts a process (a server, a worker, a
browser, a child interpreter) carries it, so `make test-fast` (`-m "not slow"`) never waits
for one.

This plugin holds every test to that: while a test without the marker runs, starting a
process raises, naming the marker to add. Session fixtures that start a shared server are set
up before it applies (their tests carry the marker anyway).
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest


class _NoProcess(subprocess.Popen):  # type: ignore[type-arg]
    # What Popen's destructor and repr read, for an object whose __init__ refused.
    _child_created = False
    returncode = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError(
            "this test starts a process: mark it @pytest.mark.slow (see tests/support/slow.py)"
        )


@pytest.fixture(autouse=True)
def _processes_only_in_slow_tests(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    if request.node.get_closest_marker("slow") is None:
        monkeypatch.setattr(subprocess, "Popen", _NoProcess)
    yield
