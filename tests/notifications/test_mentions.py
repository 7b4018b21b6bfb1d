"""`@username` mentions (docs/notifications.md#mentions): the pure parser."""

from __future__ import annotations

import pytest

from casedesk.notifications.mentions import MENTIONS_MAX, mentioned_usernames


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("@anna please look", ["anna"]),
        ("Ask @anna.", ["anna"]),
        ("Ask @anna, @marco and @anna again", ["anna", "marco"]),
        ("(@anna) and “@marco”", ["anna", "marco"]),
        ("line one\n@mario.rossi check", ["mario.rossi"]),
        ("@agent_1: done", ["agent_1"]),
        ("write to anna@example.com", []),
        ("mail anna@example.com and @marco", ["marco"]),
        ("an @ alone, @@anna", []),
        ("http://host/@anna", []),
        ("", []),
    ],
)
def test_mentions_are_found_at_the_start_after_punctuation_and_not_in_addresses(
    text: str, names: list[str]
) -> None:
    assert mentioned_usernames(text) == names


def test_a_note_mentions_at_most_a_bounded_number_of_names() -> None:
    text = " ".join(f"@user{i}" for i in range(MENTIONS_MAX + 10))
    assert len(mentioned_usernames(text)) == MENTIONS_MAX
