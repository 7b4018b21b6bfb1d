"""Webhook secrets at rest (docs/security.md#webhook-secrets), sealed as every secret at rest
is (`casedesk/core/secrets.py`). A delivery opens the secret to sign."""

from __future__ import annotations

from casedesk.core.secrets import SecretBox, SecretUnreadable

__all__ = ["SecretUnreadable", "secret_open", "secret_seal"]

_BOX = SecretBox(
    purpose=b"casedesk webhook secrets v1",
    unreadable=(
        "the webhook secret cannot be decrypted: was the secret key changed? "
        "Give the webhook its secret again."
    ),
)
secret_seal = _BOX.seal
secret_open = _BOX.open
