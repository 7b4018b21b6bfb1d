"""Roles are checked in one place, `casedesk/directory/access.py` (docs/security.md, "Who may
do what, checked where"). This test reads the source and fails on a new copy of a role check
elsewhere: a `_require_manager` of its own, a comparison of roles, a `User.is_manager` or
`User.is_admin` read in code, or a service that lets `actor=None` through."""

from __future__ import annotations

import re
from pathlib import Path

import casedesk

ROOT = Path(casedesk.__file__).parent
ACCESS = ROOT / "directory" / "access.py"

FORBIDDEN = {
    "a role check function of its own": re.compile(r"def _?require_(manager|admin|manager_role)\b"),
    "a read of User.is_manager or User.is_admin (use has_role)": re.compile(
        r"\.is_(manager|admin)\b"
    ),
    "a comparison of roles (use has_role or require_role)": re.compile(
        r"\.role\s*(==|!=|\bin\b|\bnot in\b)|\[\"role\"\]\s*(==|!=|\bin\b)"
        r"|(==|!=|\bin)\s*[(\[{]?\s*Role\.(AGENT|MANAGER|ADMIN)\b"
        r"|\bRole\.(AGENT|MANAGER|ADMIN)\s*(==|!=)"
    ),
    "an actor of None taken as the system (pass SYSTEM)": re.compile(
        r"actor is (not )?None|actor: User \| None|actor=None\b"
    ),
}

# Lines that match a pattern without checking a role, each with the reason.
ALLOWED = {
    # A field of the pure rules' facts about a case, filled by `has_role` in cases/allowed.py.
    ("cases/actions.py", "and case.is_manager"),
    # Issuing a token for oneself: no actor means the token's own user, no check is skipped.
    ("directory/services/tokens.py", "actor: User | None = None,"),
    # The audit writer refuses no actor with TypeError.
    ("core/audit.py", "if actor is None:"),
}


def _violations(text: str, relative: str) -> list[str]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("#") or (relative, stripped) in ALLOWED:
            continue
        for what, pattern in FORBIDDEN.items():
            if pattern.search(line):
                found.append(f"{relative}:{number}: {what}: {stripped}")
    return found


def test_no_role_check_outside_the_access_module() -> None:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        if path == ACCESS or "migrations" in path.parts:
            continue
        found += _violations(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert found == []


def test_the_scan_finds_a_copied_manager_check() -> None:
    copied = (
        "def _require_manager(actor: User | None) -> None:\n"
        "    if actor is not None and not actor.is_manager:\n"
        '        raise Forbidden("Only managers do this.")\n'
        "    if user.role == Role.ADMIN or Role.MANAGER == role:\n"
        "        pass\n"
    )
    found = _violations(copied, "x.py")
    assert {what for what in FORBIDDEN if any(what in line for line in found)} == set(FORBIDDEN)
    assert {line.split(":")[1] for line in found} == {"1", "2", "4"}


def test_every_allowed_line_still_exists() -> None:
    for relative, line in ALLOWED:
        lines = [s.strip() for s in (ROOT / relative).read_text(encoding="utf-8").splitlines()]
        assert line in lines, (relative, line)
