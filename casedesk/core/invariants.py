"""The registry of database invariants that `casedesk check` verifies.

Each app registers functions that yield one human-readable line per violation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

Check = Callable[[], Iterable[str]]

_CHECKS: list[tuple[str, Check]] = []


def invariant(name: str) -> Callable[[Check], Check]:
    def register(func: Check) -> Check:
        if all(existing != name for existing, _ in _CHECKS):
            _CHECKS.append((name, func))
        return func

    return register


def registered() -> list[tuple[str, Check]]:
    return list(_CHECKS)


def run_all() -> Iterator[tuple[str, str]]:
    """Yield `(check name, violation)` for every violation found."""
    for name, func in _CHECKS:
        for violation in func():
            yield name, violation
