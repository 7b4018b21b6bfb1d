"""The hash-pinned lock files `make install` installs (.ci/lock.py, Makefile)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOCK_SCRIPT = ROOT / ".ci" / "lock.py"
PIN = re.compile(r"^([a-z0-9][a-z0-9._-]*)==(\S+) \\$", re.MULTILINE)


def _lock_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("casedesk_lock", LOCK_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _check(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(LOCK_SCRIPT), "check", *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )


def _pins(path: Path) -> dict[str, str]:
    return dict(PIN.findall(path.read_text()))


@pytest.mark.slow
def test_the_lock_files_were_made_from_the_requirements_pyproject_declares() -> None:
    out = _check(ROOT / "requirements.lock", ROOT / "requirements-test.lock")
    assert out.returncode == 0, out.stderr


@pytest.mark.slow
def test_a_lock_made_from_other_requirements_is_refused_naming_make_lock(tmp_path: Path) -> None:
    stale = tmp_path / "requirements.lock"
    text = (ROOT / "requirements.lock").read_text()
    stale.write_text(re.sub(r"(requirements: sha256:)\w+", r"\g<1>0000", text))
    out = _check(stale)
    assert out.returncode == 1
    assert "requirements.lock" in out.stderr and "make lock" in out.stderr


def test_every_locked_package_carries_its_hashes() -> None:
    for name in ("requirements.lock", "requirements-test.lock"):
        text = (ROOT / name).read_text()
        blocks = re.split(r"\n(?=[a-z0-9])", text.split("\n", 3)[3])
        assert blocks and all("--hash=sha256:" in block for block in blocks), name


def test_the_test_lock_keeps_the_runtime_versions() -> None:
    runtime = _pins(ROOT / "requirements.lock")
    tests = _pins(ROOT / "requirements-test.lock")
    assert "django" in runtime and "pytest-xdist" in tests
    assert {name: tests.get(name) for name in runtime} == runtime


def test_a_lock_left_with_merge_conflicts_keeps_the_first_sides_pins() -> None:
    conflicted = (
        "<<<<<<< HEAD\n"
        "django==5.2.19 \\\n    --hash=sha256:aa\n"
        "=======\n"
        "django==5.2.20 \\\n    --hash=sha256:bb\n"
        "structlog==25.5.0 \\\n    --hash=sha256:cc\n"
        ">>>>>>> other\n"
    )
    assert _lock_module().without_conflicts(conflicted) == "django==5.2.19\nstructlog==25.5.0\n"


@pytest.mark.slow
def test_a_changed_lock_file_reinstalls_from_it() -> None:
    for target, lock in (
        ("install", "requirements.lock"),
        ("install-test", "requirements-test.lock"),
    ):
        plan = subprocess.run(
            ["make", "-n", "-W", lock, target], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        assert f"--require-hashes -r {lock}" in plan, (target, plan)
