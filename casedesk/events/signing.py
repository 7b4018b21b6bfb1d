"""How a delivery is signed and labelled (docs/webhooks.md#verifying-a-delivery). Pure."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Casedesk-Signature"
EVENT_HEADER = "X-Casedesk-Event"
DELIVERY_HEADER = "X-Casedesk-Delivery"


def signature(secret: str, body: bytes) -> str:
    """`sha256=` and the hex HMAC-SHA256 of `body` keyed with `secret`."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signature_valid(secret: str, body: bytes, header: str) -> bool:
    """Whether `header` is the signature of `body` (compared in constant time)."""
    return hmac.compare_digest(signature(secret, body), header.strip())


def delivery_headers(
    *, secret: str, body: bytes, event_type: str, delivery_id: str
) -> dict[str, str]:
    """The headers of a delivery's POST."""
    return {
        "Content-Type": "application/json",
        "User-Agent": "casedesk-webhooks",
        SIGNATURE_HEADER: signature(secret, body),
        EVENT_HEADER: event_type,
        DELIVERY_HEADER: delivery_id,
    }
