"""Text folding shared by lookups and search: case- and accent-insensitive forms."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NON_DIGITS = re.compile(r"\D+")


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced: 'Città  Übel' → 'citta ubel'."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", stripped.casefold()).strip()


def digits(text: str) -> str:
    return _NON_DIGITS.sub("", text)
