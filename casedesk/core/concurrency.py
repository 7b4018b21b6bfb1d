"""Optimistic concurrency: `version` on every record, `ETag` out, `If-Match` in."""

from __future__ import annotations

import re

from casedesk.core.errors import BadRequest, VersionMismatch

_ETAG = re.compile(r'^\s*(?:W/)?"(\d{1,10})"\s*$')


def parse_if_match(header: str | None) -> int | None:
    """Return the version an `If-Match` header asks for; None for absent or `*`."""
    if header is None:
        return None
    header = header.strip()
    if header in {"", "*"}:
        return None
    for part in header.split(","):
        match = _ETAG.match(part)
        if match:
            return int(match.group(1))
    # A bare number is accepted too, as scripts often send it unquoted.
    if header.isdigit() and len(header) <= 10:
        return int(header)
    raise BadRequest('If-Match must be an entity tag such as "3".', details={"if_match": header})


def check_version(expected: int | None, current: int) -> None:
    """Refuse with 412 when the caller's version is not the record's current one."""
    if expected is not None and expected != current:
        raise VersionMismatch(details={"expected": expected, "current": current})


def etag(version: int) -> str:
    return f'"{version}"'
