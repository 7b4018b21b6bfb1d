"""Mailbox passwords at rest (docs/security.md#mailbox-passwords): encrypted with Fernet
(AES-128-CBC and HMAC-SHA256) under a key derived from the product's secret key, so a copy of
the database alone does not reveal them."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_INFO = b"casedesk mailbox passwords v1"


def _fernet() -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        str(settings.SECRET_KEY).encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def secret_seal(plain: str) -> str:
    """`plain` encrypted for storage ("" stays "")."""
    if not plain:
        return ""
    return _fernet().encrypt(plain.encode()).decode("ascii")


class SecretUnreadable(Exception):
    """A stored secret that this secret key cannot open (the key changed)."""


def secret_open(sealed: str) -> str:
    if not sealed:
        return ""
    try:
        return _fernet().decrypt(sealed.encode("ascii")).decode()
    except (InvalidToken, ValueError) as exc:
        raise SecretUnreadable(
            "the mailbox password cannot be decrypted: was the secret key changed? "
            "Enter the password again."
        ) from exc
