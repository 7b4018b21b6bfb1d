"""The text pipeline, shared by indexing and queries (pure: no database)."""

from __future__ import annotations

from casedesk.search.text import indexed, query_terms, stem, ticket_query, words


def test_folding_when_accents_and_case_differ() -> None:
    assert words("Città ÀLTA") == words("citta alta") == ["citta", "alta"]


def test_italian_plural_and_singular_share_a_stem() -> None:
    assert stem("interruzioni") == stem("interruzione")
    assert stem("stampanti") == stem("stampante")


def test_english_forms_share_a_stem() -> None:
    assert stem("printers") == stem("printer")
    assert stem("connections") == stem("connection")


def test_query_terms_drop_syntax_when_input_is_hostile() -> None:
    assert query_terms('servizio"') == [stem("servizio")]
    assert query_terms("NEAR(") == ["near"]
    assert query_terms("a-b") == ["b"]
    assert query_terms('* " OR ( ) 🙂') == []


def test_indexed_text_is_stems_separated_by_spaces() -> None:
    assert indexed("Interruzioni del servizio") == f"{stem('interruzioni')} {stem('servizio')}"


def test_ticket_query_when_full_ticket_or_number() -> None:
    full = ticket_query("cas-01001-k7q2m9")
    assert full is not None and full.ticket_number == "CAS-01001-K7Q2M9" and full.number == 1001
    bare = ticket_query(" 1001 ")
    assert bare is not None and bare.number == 1001 and bare.ticket_number is None
    assert ticket_query("printer 1001") is None
