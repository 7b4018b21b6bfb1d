"""The sign-in delay rule, in plain Python (docs/security.md): how long an attempt waits after
failures in a row, and which counts an attempt belongs to."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Mapping

USER_KEY = "user:"
ADDRESS_KEY = "address:"


def signin_delay(failures: int, *, free: int, first: int, longest: int) -> int:
    """Seconds the next attempt waits after `failures` failures in a row: none before `free`,
    then `first`, doubling with each further failure, at most `longest`."""
    if failures < free:
        return 0
    extra = failures - free
    if extra >= 32:  # far past any sensible cap: no need to build a huge number
        return longest
    return int(min(first * 2**extra, longest))


def user_key(username: str) -> str:
    """The count of a user name, whatever its case (user names are unique regardless of case)."""
    return USER_KEY + username.strip().lower()[:150]


def address_key(address: str) -> str:
    """The count of a client address. An IPv6 client is counted by its /64 network, which one
    host usually holds whole."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return ADDRESS_KEY + address[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        return ADDRESS_KEY + str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return ADDRESS_KEY + str(parsed)


def forgotten_before(now: dt.datetime, conf: Mapping[str, int]) -> dt.datetime:
    """A count whose last failure is at or before this is forgotten."""
    return now - dt.timedelta(seconds=conf["forget_after_seconds"])
