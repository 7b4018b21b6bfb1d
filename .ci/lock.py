#!/usr/bin/env python3
"""The hash-pinned lock files that `make install` and `make install-test` install.

    lock.py lock [--upgrade]   write requirements.lock (what casedesk runs on, and what builds
                               it) and requirements-test.lock (that, plus the test extras),
                               both for Python 3.11 on Linux x86_64
    lock.py check FILE...      fail, saying to run 'make lock', when a lock file was not made
                               from the requirements pyproject.toml declares now

`lock` resolves with uv in a tool environment of its own (.venv/lock-tools, pinned with hashes
in .ci/lock-tools.txt). Versions already in a lock file are kept unless pyproject.toml rules
them out, so adding one dependency changes only what it brings; --upgrade takes the newest
versions the ranges allow. The test lock is resolved within the runtime lock's versions.
Standard library only: it runs before the project's environment exists.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
RUNTIME_LOCK = ROOT / "requirements.lock"
TEST_LOCK = ROOT / "requirements-test.lock"
TOOLS = ROOT / ".venv" / "lock-tools"
TOOLS_LOCK = Path(__file__).resolve().with_name("lock-tools.txt")
UV = TOOLS / "bin" / "uv"
# Debian 12's glibc is 2.36: wheels for it and for older glibc versions install there.
TARGET = ["--python-version", "3.11", "--python-platform", "x86_64-manylinux_2_36"]
INPUTS_LINE = "# pyproject.toml requirements: "


def declared() -> dict[str, object]:
    data = tomllib.loads(PYPROJECT.read_text())
    return {
        "build": data["build-system"]["requires"],
        "dependencies": data["project"]["dependencies"],
        "optional": data["project"].get("optional-dependencies", {}),
    }


def inputs_digest() -> str:
    """A digest of every requirement pyproject.toml declares, to tell a stale lock file."""
    text = json.dumps(declared(), sort_keys=True)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def check(paths: list[str]) -> int:
    wanted = INPUTS_LINE + inputs_digest()
    stale = []
    for name in paths:
        path = Path(name)
        lines = path.read_text().splitlines() if path.exists() else []
        if wanted not in lines:
            stale.append(path.name)
    if stale:
        print(
            f"make: {', '.join(stale)} not made from the requirements in pyproject.toml:"
            " run 'make lock' and commit the lock files",
            file=sys.stderr,
        )
        return 1
    return 0


def ensure_uv() -> None:
    stamp = TOOLS / ".installed"
    if stamp.exists() and stamp.read_text() == TOOLS_LOCK.read_text():
        return
    venv.create(TOOLS, with_pip=True, clear=True)
    python = str(TOOLS / "bin" / "python")
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "--require-hashes", "-r", str(TOOLS_LOCK)],
        check=True,
    )
    stamp.write_text(TOOLS_LOCK.read_text())


PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def without_conflicts(text: str) -> str | None:
    """For a lock file left with merge conflicts, its pins alone (the first side's where both
    sides pin a package), which uv then keeps where they fit; None for a clean file."""
    if not re.search(r"^<<<<<<< ", text, re.MULTILINE):
        return None
    pins: dict[str, str] = {}
    for line in text.splitlines():
        match = PIN.match(line)
        if match:
            pins.setdefault(match[1].lower(), f"{match[1]}=={match[2]}")
    return "".join(f"{pin}\n" for pin in pins.values())


def compile_lock(output: Path, extra_args: list[str], upgrade: bool) -> None:
    if output.exists():
        pins = without_conflicts(output.read_text())
        if pins is not None:
            print(f"{output.name}: merge conflicts; locking again from its pins", file=sys.stderr)
            output.write_text(pins)
    build = "\n".join(declared()["build"]) + "\n"  # type: ignore[operator]
    command = [
        str(UV),
        "pip",
        "compile",
        "pyproject.toml",
        "-",  # the build requirements, from standard input
        "--no-config",
        "--quiet",
        "--generate-hashes",
        "--custom-compile-command",
        "make lock",
        *TARGET,
        *extra_args,
        *(["--upgrade"] if upgrade else []),
        "--output-file",
        output.name,
    ]
    subprocess.run(command, input=build, text=True, check=True, cwd=ROOT)
    lines = [line for line in output.read_text().splitlines() if not line.startswith(INPUTS_LINE)]
    # After uv's header: the digest that `check` compares.
    at = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    lines.insert(at, INPUTS_LINE + inputs_digest())
    output.write_text("\n".join(lines) + "\n")


def lock(upgrade: bool) -> int:
    ensure_uv()
    compile_lock(RUNTIME_LOCK, [], upgrade)
    compile_lock(TEST_LOCK, ["--extra", "test", "--constraints", RUNTIME_LOCK.name], upgrade)
    for path in (RUNTIME_LOCK, TEST_LOCK):
        pins = sum(1 for line in path.read_text().splitlines() if "==" in line)
        print(f"{path.name}: {pins} packages")
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["check"] and len(argv) > 1:
        return check(argv[1:])
    if argv[:1] == ["lock"] and set(argv[1:]) <= {"--upgrade"}:
        try:
            return lock(upgrade="--upgrade" in argv)
        except subprocess.CalledProcessError as exc:
            print(
                f"make lock: {Path(exc.cmd[0]).name} failed (exit {exc.returncode})",
                file=sys.stderr,
            )
            return 1
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
