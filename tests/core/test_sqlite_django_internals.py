"""casedesk's SQLite backend (casedesk/core/sqlite/base.py) overrides internal methods of
Django's SQLite backend. Django may change them in any release without notice, so the
signature and source of each original are pinned here: when an upgrade changes one, this fails
and says what to re-check before the pin is moved to the new version."""

from __future__ import annotations

import hashlib
import inspect
from dataclasses import dataclass
from typing import Any

import django
import pytest
from django.db.backends.sqlite3 import base as django_sqlite

from casedesk.core.sqlite import base as casedesk_sqlite

PINNED_FROM = "Django 5.2.20"


@dataclass(frozen=True)
class Pin:
    owner: str  # the Django class that defines the original, which `super()` reaches
    signature: str
    source_sha256: str  # the first 16 hex digits of SHA-256 of `inspect.getsource`
    recheck: str  # what the override relies on


PINS = {
    "__init__": Pin(
        "django.db.backends.base.base.BaseDatabaseWrapper",
        "(self, settings_dict, alias='default')",
        "d93960e2b4a90e2d",
        "the override passes its arguments through and adds `_lock_fd`, `_lock_name` and "
        "`_lock_held`: check Django sets no attribute of those names.",
    ),
    "get_new_connection": Pin(
        "django.db.backends.sqlite3.base.DatabaseWrapper",
        "(self, conn_params)",
        "99ddcd0012130edd",
        "the override sets `PRAGMA wal_autocheckpoint` on the connection Django returns, after "
        "Django's own pragmas and `init_command`: check nothing Django runs later resets it.",
    ),
    "_start_transaction_under_autocommit": Pin(
        "django.db.backends.sqlite3.base.DatabaseWrapper",
        "(self)",
        "7315cfc61c1dde12",
        "the override takes the write-lock file before Django's `BEGIN {transaction_mode}`: "
        "check this is still the one place an outermost `atomic()` begins a transaction on "
        "SQLite (`set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)`).",
    ),
    "_commit": Pin(
        "django.db.backends.base.base.BaseDatabaseWrapper",
        "(self)",
        "8ebc361e1e8fcb8d",
        "the override lets go of the write-lock file after the commit, even a failed one: "
        "check every transaction still ends through `_commit` or `_rollback`.",
    ),
    "_rollback": Pin(
        "django.db.backends.base.base.BaseDatabaseWrapper",
        "(self)",
        "d671ec3bb3c8ed44",
        "the override lets go of the write-lock file after the rollback, even a failed one: "
        "check every transaction still ends through `_commit` or `_rollback`.",
    ),
    "_close": Pin(
        "django.db.backends.base.base.BaseDatabaseWrapper",
        "(self)",
        "d1a3f0e9a11cd084",
        "the override lets go of the write-lock file and closes it when the connection "
        "closes: check `close()` still calls `_close` for a file database.",
    ),
}

# What the backend keeps on each connection, beside Django's own attributes.
OWN_ATTRIBUTES = ("_lock_fd", "_lock_name", "_lock_held")


def _upstream_owner(name: str) -> type:
    for klass in django_sqlite.DatabaseWrapper.__mro__:
        if name in vars(klass):
            return klass
    raise AssertionError(f"{django.get_version()} no longer defines {name}")


def _fingerprint(function: Any) -> tuple[str, str]:
    source = inspect.getsource(function)  # of the function itself, through decorators
    return str(inspect.signature(function)), hashlib.sha256(source.encode()).hexdigest()[:16]


def test_every_django_method_the_backend_overrides_is_pinned_when_it_overrides_one() -> None:
    upstream = {
        name
        for klass in django_sqlite.DatabaseWrapper.__mro__
        for name, value in vars(klass).items()
        if callable(value)
    }
    overridden = {
        name
        for name, value in vars(casedesk_sqlite.DatabaseWrapper).items()
        if callable(value) and name in upstream
    }
    assert overridden == set(PINS), (
        "casedesk/core/sqlite/base.py now overrides Django methods "
        f"{sorted(overridden - set(PINS))} without a pin here, or no longer overrides "
        f"{sorted(set(PINS) - overridden)}; a method of its own whose name Django now uses "
        "must be renamed. Pin each override (owner, signature, source hash) with what it "
        "relies on."
    )


@pytest.mark.parametrize("name", sorted(PINS))
def test_djangos_original_is_unchanged_when_the_backend_overrides_it(name: str) -> None:
    pin = PINS[name]
    owner = _upstream_owner(name)
    signature, digest = _fingerprint(vars(owner)[name])
    found = (f"{owner.__module__}.{owner.__qualname__}", signature, digest)
    assert found == (pin.owner, pin.signature, pin.source_sha256), (
        f"Django {django.get_version()} changed {name} (pinned from {PINNED_FROM}): now "
        f"{found}, pinned {(pin.owner, pin.signature, pin.source_sha256)}. "
        f"casedesk.core.sqlite.base.DatabaseWrapper.{name} overrides it; {pin.recheck} "
        "Read Django's new source, adapt the override if needed, run tests/core/"
        "test_sqlite_backend.py and test_sqlite_checkpoint.py, then update this pin."
    )


def test_the_backends_own_attributes_are_not_djangos_when_a_connection_is_made() -> None:
    plain = django_sqlite.DatabaseWrapper({"NAME": ":memory:", "OPTIONS": {}})
    clashes = [name for name in OWN_ATTRIBUTES if hasattr(plain, name)]
    assert not clashes, (
        f"Django {django.get_version()} now sets {clashes} on its SQLite connections; "
        "casedesk/core/sqlite/base.py keeps its write-lock state under those names: rename them."
    )
