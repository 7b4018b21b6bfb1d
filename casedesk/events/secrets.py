"""Webhook secrets at rest (docs/security.md#webhook-secrets): encrypted with Fernet under a
key derived from the product's secret key, as mailbox passwords are, so a copy of the database
alone does not reveal them. A delivery opens the secret to sign."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_INFO = b"casedesk webhook secrets v1"


class SecretUnreadable(Exception):
    """A stored secret that this secret key cannot open (the key changed)."""


def _fernet() -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        str(settings.SECRET_KEY).encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def secret_seal(plain: str) -> str:
    """`plain` encrypted for storage."""
    return _fernet().encrypt(plain.encode()).decode("ascii")


def secret_open(sealed: str) -> str:
    """The secret a webhook was given; `SecretUnreadable` when the secret key changed since."""
    try:
        return _fernet().decrypt(sealed.encode("ascii")).decode()
    except (InvalidToken, ValueError) as exc:
        raise SecretUnreadable(
            "the webhook secret cannot be decrypted: was the secret key changed? "
            "Give the webhook its secret again."
        ) from exc
