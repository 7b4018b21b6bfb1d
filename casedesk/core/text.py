"""Text folding shared by lookups and search: case- and accent-insensitive forms."""

from __future__ import annotations

import re
import unicodedata

_NON_DIGITS = re.compile(r"\D+")


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced: 'Città  Übel' → 'citta ubel'."""
    # str.split() cuts at exactly the characters that a regular expression's \s matches.
    if text.isascii():  # its own decomposition, without accents; casefold is lower
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text)
    marks = [c for c in set(decomposed) if unicodedata.combining(c)]
    if marks:
        decomposed = decomposed.translate(dict.fromkeys(map(ord, marks)))
    return " ".join(decomposed.casefold().split())


def digits(text: str) -> str:
    return _NON_DIGITS.sub("", text)
