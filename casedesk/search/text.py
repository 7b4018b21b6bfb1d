"""The text pipeline shared by indexing and queries, on both engines.

Fold case and accents, cut into words, drop a few articles and prepositions, and reduce each
word to one stem that Italian and English forms share: the Italian stemmer first, then the
English one ("interruzioni" and "interruzione" → "interru"; "printers" → "printer"). The
engines only ever see these stems, never the user's syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

from casedesk.core.text import fold

_WORD = re.compile(r"[^\W_]+")
_TICKET = re.compile(r"^\s*#?\s*cas-(\d{1,18})(?:-([a-z0-9]{6}))?\s*$", re.IGNORECASE)
_NUMBER = re.compile(r"^\s*#?\s*(\d{1,18})\s*$")

MAX_WORD = 40
MAX_QUERY_WORDS = 12

_STOP_TEXT = """
    a ad al alla alle allo agli ai col coi con da dal dalla dalle dagli dai de dei del della
    delle dello degli di e ed gli i il in l la le lo nei nel nella nelle negli o per su sul
    sulla sui tra fra un una uno
    an and as at be by for from in is it of on or the to with
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())

_italian = Stemmer.Stemmer("italian")
_english = Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The one stem an Italian or English word form is indexed and searched under."""
    return str(_english.stemWord(_italian.stemWord(word)))


def words(text: str) -> list[str]:
    """The folded words of `text`, without stop words, each at most MAX_WORD characters."""
    return [w[:MAX_WORD] for w in _WORD.findall(fold(text)) if w not in STOP_WORDS]


def terms(text: str) -> list[str]:
    """The stems of `text`, in order (duplicates kept: they count for ranking)."""
    return list(map(stem, words(text)))


def query_terms(text: str) -> list[str]:
    """The distinct stems of a query, in order, at most MAX_QUERY_WORDS of them."""
    seen: dict[str, None] = {}
    for term in terms(text):
        seen.setdefault(term, None)
    return list(seen)[:MAX_QUERY_WORDS]


def indexed(text: str) -> str:
    """What the index stores for `text`: its stems, space-separated."""
    return " ".join(map(stem, words(text)))


@dataclass(frozen=True)
class TicketQuery:
    """A search that names one case: a full ticket number, or a case number."""

    number: int
    ticket_number: str | None  # the full ticket number when typed with its suffix


def ticket_query(text: str) -> TicketQuery | None:
    """`CAS-01001-K7Q2M9` → the exact ticket; `CAS-01001`, `01001` or `1001` → the number."""
    found = _TICKET.match(text)
    if found:
        number = int(found.group(1))
        suffix = found.group(2)
        return TicketQuery(
            number=number,
            ticket_number=f"CAS-{found.group(1)}-{suffix}".upper() if suffix else None,
        )
    found = _NUMBER.match(text)
    if found:
        return TicketQuery(number=int(found.group(1)), ticket_number=None)
    return None
