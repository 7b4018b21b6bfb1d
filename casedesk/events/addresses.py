"""Which webhook URLs and addresses casedesk may call (docs/webhooks.md#addresses).

Only http and https; and, unless private addresses are allowed, no loopback, link-local,
private, shared, reserved or multicast address, checked on the URL's host when the webhook is
saved and on every address its name resolves to when a delivery is made (so a name that later
resolves elsewhere, DNS rebinding, is still refused). Pure but for `resolve`.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
URL_MAX = 2000
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


class AddressRefused(ValueError):
    """A URL or an address casedesk will not call; the message says why."""


@dataclass(frozen=True)
class Target:
    """A URL taken apart for a request to one vetted address."""

    scheme: str
    host: str
    port: int
    path: str  # with the query

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def _split(url: str) -> SplitResult:
    if len(url) > URL_MAX:
        raise AddressRefused(f"at most {URL_MAX} characters")
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise AddressRefused("must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError as exc:
        raise AddressRefused("is not a valid URL") from exc
    return parts


def target(url: str) -> Target:
    """The parts of `url`, refused (`AddressRefused`) unless it is an http or https URL with a
    host and without user name or password."""
    parts = _split(url)
    if parts.scheme not in ("http", "https"):
        raise AddressRefused("must be an http or https URL")
    if not parts.hostname:
        raise AddressRefused("must name a host")
    if parts.username is not None or parts.password is not None:
        raise AddressRefused("must not contain a user name or password")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=parts.scheme, host=parts.hostname.rstrip("."), port=port, path=path)


def address_refusal(address: IPAddress) -> str | None:
    """Why casedesk will not call `address` when private addresses are not allowed; None when
    it may (a public address)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return "is a loopback address"
    if address.is_link_local:
        return "is a link-local address"
    if address.is_multicast:
        return "is a multicast address"
    if address.is_private or not address.is_global:
        return "is a private or reserved address"
    return None


def literal(host: str) -> IPAddress | None:
    """The address `host` spells, if it is one."""
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


class HostUnresolved(AddressRefused):
    """The host resolves to no address (now)."""


def allowed_target(url: str, *, allow_private: bool) -> Target:
    """`url`'s target, refused (`AddressRefused`) when it is not http or https or its host is a
    refused literal or the local machine, before any name is resolved."""
    found = target(url)
    if not allow_private:
        reason = host_refusal(found.host)
        if reason is not None:
            raise AddressRefused(f"{found.host} {reason}")
    return found


def host_refusal(host: str) -> str | None:
    """Why a URL's host is refused before any name is resolved: a refused address literal or a
    name of the local machine."""
    address = literal(host)
    if address is not None:
        return address_refusal(address)
    name = host.lower().rstrip(".")
    if name in _LOCAL_NAMES or name.endswith(".localhost"):
        return "is the local machine"
    return None


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to now (a literal is itself); raises `AddressRefused` when
    it resolves to none."""
    address = literal(host)
    if address is not None:
        return [address]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise HostUnresolved(f"the host {host} does not resolve") from exc
    found: list[IPAddress] = []
    for info in infos:
        candidate = literal(str(info[4][0]))
        if candidate is not None and candidate not in found:
            found.append(candidate)
    if not found:
        raise HostUnresolved(f"the host {host} does not resolve")
    return found


def vetted_addresses(host: str, port: int, *, allow_private: bool) -> list[IPAddress]:
    """The addresses a delivery may connect to for `host`: all of them must be allowed, or the
    delivery is refused (`AddressRefused`), so a name with one private address is never
    called."""
    addresses = resolve(host, port)
    if not allow_private:
        for address in addresses:
            reason = address_refusal(address)
            if reason is not None:
                raise AddressRefused(f"{host} resolves to {address}, which {reason}")
    return addresses
