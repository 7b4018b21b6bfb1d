"""The address of the client behind the proxies the operator trusts (`CASEDESK_TRUSTED_PROXIES`).

Sign-in throttling and request logs key on it. `X-Forwarded-For` is read only when the
connection itself comes from a trusted proxy, and then from the right: each trusted proxy
appends the address it received the request from, so the rightmost hop that is not a
trusted proxy is the client. Anything further left was written by the client and may be
forged.
"""

from __future__ import annotations

import functools
import ipaddress
from typing import Any

from django.conf import settings
from django.http import HttpRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

UNKNOWN = "unknown"


@functools.lru_cache(maxsize=8)
def _networks(configured: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(value, strict=False) for value in configured)


def _trusted(address: Address) -> bool:
    return any(address in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def _parse(value: Any) -> Address | None:
    """An address from a `REMOTE_ADDR` or a hop of `X-Forwarded-For` (`1.2.3.4`, `1.2.3.4:80`,
    `2001:db8::1`, `[2001:db8::1]:80`), an IPv4-mapped IPv6 address as IPv4; else None."""
    text = str(value or "").strip().strip('"')
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_address(request: HttpRequest) -> str:
    """The client's address: the connection's, or, when that is a trusted proxy, the rightmost
    `X-Forwarded-For` hop that is not a trusted proxy (the leftmost when all are). A hop that
    is not an address stops the walk at the last trusted one."""
    remote = _parse(request.META.get("REMOTE_ADDR"))
    if remote is None:
        return str(request.META.get("REMOTE_ADDR") or UNKNOWN)[:64]
    if not _trusted(remote):
        return str(remote)
    client = remote
    hops = str(request.META.get("HTTP_X_FORWARDED_FOR") or "").split(",")
    for hop in reversed([h for h in hops if h.strip()]):
        address = _parse(hop)
        if address is None:
            break
        client = address
        if not _trusted(address):
            break
    return str(client)
