"""Mailbox passwords at rest (docs/security.md#mailbox-passwords), sealed as every secret at
rest is (`casedesk/core/secrets.py`)."""

from __future__ import annotations

from casedesk.core.secrets import SecretBox, SecretUnreadable

__all__ = ["SecretUnreadable", "secret_open", "secret_seal"]

_BOX = SecretBox(
    purpose=b"casedesk mailbox passwords v1",
    unreadable=(
        "the mailbox password cannot be decrypted: was the secret key changed? "
        "Enter the password again."
    ),
)
secret_seal = _BOX.seal
secret_open = _BOX.open
