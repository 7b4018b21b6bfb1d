"""`@username` mentions in a text (docs/notifications.md#mentions): pure, no database."""

from __future__ import annotations

import re

# At most this many different names a note may mention.
MENTIONS_MAX = 20
# `@` at the start or after anything but a letter, a digit or a character of an address
# (so `anna@example.com` mentions nobody); the name is Django's user-name characters without
# `@`, and never ends in a dot, plus or dash (`@anna.` at the end of a sentence is `anna`).
_MENTION = re.compile(r"(?<![\w@.+\-/])@([\w.+\-]*\w)", re.UNICODE)


def mentioned_usernames(text: str) -> list[str]:
    """The user names mentioned in `text`, each once, in order of first appearance."""
    found: dict[str, None] = {}
    for match in _MENTION.finditer(text or ""):
        name = match.group(1)
        if len(name) <= 150:
            found.setdefault(name, None)
        if len(found) >= MENTIONS_MAX:
            break
    return list(found)
