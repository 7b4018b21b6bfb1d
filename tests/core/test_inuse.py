"""The database's in-use mark (casedesk.core.inuse): what a server worker holds for its
lifetime so that `casedesk restore` is refused meanwhile. The refusals themselves, with real
servers and workers, are in tests/cli/test_backup.py."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator

import pytest
from django.db import connection

from casedesk.core import inuse


def _held_by_others() -> bool:
    """Whether another holder than this test's probe holds the in-use lock."""
    if connection.vendor == "sqlite":
        fd = os.open(inuse.lock_path(connection.settings_dict["NAME"]), os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [inuse.ADVISORY_KEY])
        (got,) = cursor.fetchone()
        if got:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [inuse.ADVISORY_KEY])
        return not got


@pytest.fixture
def released() -> Iterator[None]:
    yield
    inuse.release_database()
    from casedesk.core.sqlite import checkpoint

    found = checkpoint.start_for_default_database()
    if found is not None:
        found.stop()
        found.join(5)


@pytest.mark.django_db
def test_a_gunicorn_worker_holds_the_database_once_it_has_loaded_the_app(released: None) -> None:
    from casedesk.cli import gunicorn_config

    assert not _held_by_others()
    gunicorn_config.post_worker_init(None)
    assert _held_by_others()


@pytest.mark.django_db
def test_the_database_is_free_again_when_the_hold_is_released(released: None) -> None:
    inuse.hold_database("casedesk worker")
    inuse.release_database()
    assert not _held_by_others()
