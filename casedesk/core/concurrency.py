"""Optimistic concurrency: `version` on every record, `ETag` out, `If-Match` in."""

from __future__ import annotations

import re

from casedesk.core.errors import BadRequest, VersionMismatch

# One element of an If-Match list: a version tag, strong or weak, or (as scripts often send
# it) a bare version number.
_TAG = re.compile(r'^(?:W/)?"(\d{1,10})"$|^(\d{1,10})$')

# What a write expects of the record: its one version (a form's hidden field, an If-Match of
# one tag), any of several (an If-Match list), or None (no check: absent or `*`).
ExpectedVersion = int | frozenset[int] | None


def parse_if_match(header: str | None) -> ExpectedVersion:
    """The versions an `If-Match` header accepts (RFC 9110 §13.1.1): None when absent or `*`
    (any version), else the versions its list names, any of which matches. A weak tag
    `W/"N"` compares weakly, as `"N"`; empty list elements are skipped. Refuse with
    `bad_request` a header that is not a list of version tags."""
    if header is None:
        return None
    header = header.strip()
    if header in {"", "*"}:
        return None
    versions: set[int] = set()
    for part in header.split(","):
        part = part.strip()
        if not part:
            continue
        match = _TAG.match(part)
        if match is None:
            raise BadRequest(
                'If-Match must be "*" or a list of entity tags such as "3".',
                details={"if_match": header},
            )
        versions.add(int(match.group(1) or match.group(2)))
    if not versions:
        raise BadRequest("If-Match names no entity tag.", details={"if_match": header})
    if len(versions) == 1:
        return versions.pop()
    return frozenset(versions)


def check_version(expected: ExpectedVersion, current: int) -> None:
    """Refuse with 412 when the caller expects versions of which none is the record's."""
    if expected is None:
        return
    if isinstance(expected, int):
        if expected != current:
            raise VersionMismatch(details={"expected": expected, "current": current})
    elif current not in expected:
        raise VersionMismatch(details={"expected": sorted(expected), "current": current})


def etag(version: int) -> str:
    return f'"{version}"'
