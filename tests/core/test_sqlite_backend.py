"""The SQLite backend's write lock: taken with each transaction, let go at its end, bounded."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import OperationalError, connection, transaction

from casedesk.core import clock
from casedesk.customers.models import Account
from tests.support import skips

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _sqlite_only() -> None:
    skips.engine_only("sqlite", "the SQLite backend's write lock")


@contextmanager
def _held_elsewhere() -> Iterator[bool]:
    """Try the lock file from another open file: yields whether it was free."""
    fd = os.open(f"{connection.settings_dict['NAME']}-writelock", os.O_RDWR | os.O_CREAT)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _account(name: str) -> Account:
    now = clock.now()
    return Account.objects.create(name=name, created_at=now, modified_at=now)


def test_a_transaction_holds_the_lock_until_it_commits() -> None:
    with transaction.atomic():
        _account("Held Srl")
        with _held_elsewhere() as free:
            assert not free
    with _held_elsewhere() as free:
        assert free
    assert Account.objects.filter(name="Held Srl").exists()


def test_a_rolled_back_transaction_lets_go_of_the_lock() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        _account("Rolled Srl")
        raise RuntimeError("fail inside")
    with _held_elsewhere() as free:
        assert free
    assert not Account.objects.filter(name="Rolled Srl").exists()


def test_a_nested_block_keeps_the_lock_of_the_outer_transaction() -> None:
    with transaction.atomic():
        with transaction.atomic():
            _account("Inner Srl")
        with _held_elsewhere() as free:
            assert not free
    with _held_elsewhere() as free:
        assert free


def test_a_writer_that_cannot_get_the_lock_in_time_is_refused_and_writes_nothing() -> None:
    options = connection.settings_dict["OPTIONS"]
    saved = options["timeout"]
    options["timeout"] = 0.2
    try:
        with _held_elsewhere() as free:
            assert free
            with (
                pytest.raises(OperationalError, match="database is locked"),
                transaction.atomic(),
            ):
                _account("Late Srl")
        # Refused before it began: the connection is usable and nothing was written.
        assert not connection.in_atomic_block
        assert not Account.objects.filter(name="Late Srl").exists()
        with transaction.atomic():
            _account("After Srl")
    finally:
        options["timeout"] = saved
    assert Account.objects.filter(name="After Srl").exists()


def test_a_waiting_writer_begins_once_the_holder_commits() -> None:
    inside = threading.Event()
    release = threading.Event()
    order: list[str] = []

    def holder() -> None:
        try:
            with transaction.atomic():
                _account("First Srl")
                inside.set()
                release.wait(10)
                order.append("first committed")
        finally:
            connection.close()

    def waiter() -> None:
        try:
            with transaction.atomic():
                order.append("second began")
                _account("Second Srl")
        finally:
            connection.close()

    first = threading.Thread(target=holder)
    first.start()
    assert inside.wait(10)
    second = threading.Thread(target=waiter)
    second.start()
    second.join(0.3)
    assert second.is_alive()  # waiting for the lock, not inside a transaction
    assert order == []
    release.set()
    first.join(10)
    second.join(10)
    assert order == ["first committed", "second began"]
    assert Account.objects.filter(name__in=["First Srl", "Second Srl"]).count() == 2
