"""The pure rules of the mail channel, without a database: threading, reopening, loops, and
the parser's promise never to refuse a message (docs/email.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casedesk.mail import loops, threads
from casedesk.mail.parse import html_to_text, message_ids, parse_message, sanitise_html
from tests.mail.conftest import CORPUS, message

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


def test_the_ticket_number_in_brackets_is_found_whatever_its_case() -> None:
    assert threads.ticket_in_subject("Re: Help [cas-01001-k7q2m9]") == "CAS-01001-K7Q2M9"
    assert threads.ticket_in_subject("CAS-01001-K7Q2M9 without brackets") is None
    assert threads.ticket_in_subject("Re: [CAS-01001-AAAAAA] Fwd: [CAS-01002-BBBBBB]") == (
        "CAS-01002-BBBBBB"
    )


def test_the_nearest_reference_comes_first() -> None:
    assert threads.referenced_ids(in_reply_to="c", references=["a", "b", "c"]) == ["c", "b", "a"]


@pytest.mark.parametrize(
    ("state", "resolved_days_ago", "fate"),
    [
        ("active", None, threads.Fate.APPEND),
        ("resolved", 7, threads.Fate.REOPEN),
        ("resolved", 8, threads.Fate.NEW_CONNECTED),
        ("cancelled", None, threads.Fate.NEW),
    ],
)
def test_what_a_message_does_to_its_case(
    state: str, resolved_days_ago: int | None, fate: threads.Fate
) -> None:
    resolved = NOW - dt.timedelta(days=resolved_days_ago) if resolved_days_ago else None
    facts = threads.CaseFacts(state=state, resolved_at=resolved)
    assert threads.fate(facts, now=NOW, reopen_days=7) == fate


def test_no_case_means_a_new_case() -> None:
    assert threads.fate(None, now=NOW, reopen_days=7) == threads.Fate.NEW


def test_auto_replies_and_lists_are_never_answered_but_taken() -> None:
    auto = parse_message(message(headers={"Auto-Submitted": "auto-replied"}))
    listed = parse_message(message(headers={"List-Id": "<news.example>"}))
    plain = parse_message(message(headers={"Auto-Submitted": "no"}))
    own: set[str] = set()
    assert loops.never_answer(auto, own_addresses=own)
    assert loops.never_answer(listed, own_addresses=own)
    assert not loops.never_answer(plain, own_addresses=own)
    assert loops.refusal(auto, own_addresses=own) is None


def test_message_ids_are_kept_without_brackets_and_long_ones_hashed() -> None:
    assert message_ids("<a@b> junk <c@d>") == ["a@b", "c@d"]
    (long,) = message_ids("<" + "x" * 300 + "@y>")
    assert long.startswith("sha256:") and len(long) == 71


def test_html_loses_scripts_and_handlers_and_keeps_its_text() -> None:
    html = '<p onclick="x()">Hi<script>alert(1)</script></p><iframe src="https://e.x"></iframe>'
    clean = sanitise_html(html)
    assert "script" not in clean and "onclick" not in clean and "iframe" not in clean
    assert html_to_text("<p>One</p><p>Two&amp;three<br>four</p>") == "One\nTwo&three\nfour"


@given(st.binary(max_size=2000))
def test_the_parser_never_refuses_bytes(raw: bytes) -> None:
    parsed = parse_message(raw)
    assert parsed.message_id


@given(st.sampled_from(sorted(CORPUS.glob("*.eml"))), st.integers(0, 4000), st.binary(max_size=40))
def test_the_parser_never_refuses_a_damaged_real_message(
    path: object, at: int, junk: bytes
) -> None:
    raw = path.read_bytes()  # type: ignore[attr-defined]
    parse_message(raw[:at] + junk + raw[at:])
