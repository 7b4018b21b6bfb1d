"""`fold`: its fast paths give what the plain definition gives, for any text."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from casedesk.core.text import fold


def plain_fold(text: str) -> str:
    """The definition: decompose, drop combining marks, casefold, collapse white space."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", stripped.casefold()).strip()


@given(st.text())
def test_fold_is_the_plain_definition_for_any_text(text: str) -> None:
    assert fold(text) == plain_fold(text)


@given(st.text(alphabet="aàeèiìoòuùİıßﬁ①\u0301\u0308 \t\n\u00a0\u2003\u3000\x1cAZ"))
def test_fold_is_the_plain_definition_for_accents_and_spaces(text: str) -> None:
    assert fold(text) == plain_fold(text)


def test_fold_examples() -> None:
    assert fold("Città  Übel") == "citta ubel"
    assert fold("  Perché\u00a0NO ") == "perche no"
    assert fold("Straße") == "strasse"
