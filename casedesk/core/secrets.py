"""Secrets at rest (docs/security.md, "Secrets at rest"): a password or key casedesk must use
later (a mailbox's IMAP password, a webhook's signing secret) is stored encrypted with Fernet
(AES-128-CBC and HMAC-SHA256) under a key derived with HKDF from the product's secret key, one
key per purpose, so a copy of the database alone does not reveal them."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class SecretUnreadable(Exception):
    """A stored secret that this secret key cannot open (the key changed)."""


@dataclass(frozen=True)
class SecretBox:
    """Seals and opens the secrets of one purpose (`purpose`: the HKDF info, versioned)."""

    purpose: bytes
    # What to tell the administrator when a secret cannot be opened any more.
    unreadable: str

    def _fernet(self) -> Fernet:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=self.purpose).derive(
            str(settings.SECRET_KEY).encode()
        )
        return Fernet(base64.urlsafe_b64encode(key))

    def seal(self, plain: str) -> str:
        """`plain` encrypted for storage ("" stays "")."""
        if not plain:
            return ""
        return self._fernet().encrypt(plain.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        """The secret sealed in `sealed` ("" stays ""); `SecretUnreadable` when the secret key
        changed since it was sealed."""
        if not sealed:
            return ""
        try:
            return self._fernet().decrypt(sealed.encode("ascii")).decode()
        except (InvalidToken, ValueError) as exc:
            raise SecretUnreadable(self.unreadable) from exc
