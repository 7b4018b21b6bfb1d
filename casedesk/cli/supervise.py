"""What `casedesk serve` runs when it also starts a background worker: gunicorn and
`casedesk worker` as child processes, in the foreground (docs/operations.md, "Processes").

- SIGTERM or SIGINT: both children are asked to stop (gunicorn finishes its requests, the worker
  the jobs in hand, up to 30 s), and serve exits once both have; 0 when both stopped cleanly.
- The web server exits on its own: the worker is stopped and serve exits with the server's
  status, so that the supervisor above it (systemd, the container runtime) restarts the whole.
- The worker exits on its own (a crash, the database unreachable at start): it is started
  again after 1 s, then 2, 4 ... up to 60 s while it keeps failing; the web server is left
  serving. A worker that ran for a minute starts the count afresh. `/readyz` with
  `CASEDESK_REQUIRE_WORKER=1` reports the gap through the worker's heartbeat.
- Both children are told to stop (SIGTERM) should serve itself be killed.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import signal
import subprocess
import time
from typing import Any

log = logging.getLogger("casedesk.serve")

# gunicorn's graceful timeout is 10 s; the worker lets jobs finish for 30 s.
SERVER_STOP_WAIT = 20.0
WORKER_STOP_WAIT = 40.0
RESTART_FIRST = 1.0
RESTART_MAX = 60.0
# A worker that ran this long before exiting is restarted after RESTART_FIRST again.
RESTART_RESET_AFTER = 60.0

_PR_SET_PDEATHSIG = 1


def _stop_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """In a child before exec: receive SIGTERM when the parent dies (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Supervisor:
    def __init__(self, server_argv: list[str], worker_argv: list[str], env: dict[str, str]):
        self.server_argv = server_argv
        self.worker_argv = worker_argv
        self.env = env
        self.stop_signal: int | None = None

    def _start(self, argv: list[str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(argv, env=self.env, preexec_fn=_stop_with_parent)

    def _on_signal(self, signum: int, frame: Any) -> None:
        self.stop_signal = signum

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        server = self._start(self.server_argv)
        first = self._start(self.worker_argv)
        worker: subprocess.Popen[bytes] | None = first
        worker_started = time.monotonic()
        log.info("serve_started", extra={"server_pid": server.pid, "worker_pid": first.pid})
        restart_at = 0.0
        pause = RESTART_FIRST
        status: int | None = None
        while self.stop_signal is None:
            if server.poll() is not None:
                log.error("server_exited", extra={"status": server.returncode})
                # A shell's convention for a child killed by a signal: 128 + its number.
                code = server.returncode
                status = code if code > 0 else 128 - code if code < 0 else 1
                break
            if worker is not None and worker.poll() is not None:
                if time.monotonic() - worker_started >= RESTART_RESET_AFTER:
                    pause = RESTART_FIRST
                log.error(
                    "worker_exited",
                    extra={"status": worker.returncode, "restart_in_s": pause},
                )
                worker = None
                restart_at = time.monotonic() + pause
                pause = min(pause * 2, RESTART_MAX)
            if worker is None and time.monotonic() >= restart_at:
                worker = self._start(self.worker_argv)
                worker_started = time.monotonic()
                log.info("worker_restarted", extra={"worker_pid": worker.pid})
            time.sleep(0.1)
        if self.stop_signal is not None:
            log.info("serve_stopping", extra={"signal": signal.Signals(self.stop_signal).name})
        clean = self._stop(server, SERVER_STOP_WAIT)
        if worker is not None:
            clean = self._stop(worker, WORKER_STOP_WAIT) and clean
        if status is not None:
            return status
        return 0 if clean else 1

    @staticmethod
    def _stop(child: subprocess.Popen[bytes], wait: float) -> bool:
        """Stop `child` (SIGTERM, then SIGKILL after `wait` s); whether it stopped cleanly:
        status 0, or ended by that SIGTERM before it could handle it (still starting up)."""
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                log.error("child_killed", extra={"pid": child.pid})
                child.kill()
                child.wait()
                return False
        return child.returncode in (0, -signal.SIGTERM)
