"""Mail the desk must never answer, and mail it must not take (docs/email.md#loops-and-junk).

Pure: the facts come from the parsed message.
"""

from __future__ import annotations

from collections.abc import Collection

from casedesk.mail.parse import ParsedMessage

# New cases one sender may open in an hour; past it, messages are held for review.
SENDER_LIMIT_PER_HOUR = 20


def never_answer(message: ParsedMessage, *, own_addresses: Collection[str]) -> bool:
    """Auto-replies, bulk and list mail, delivery reports and our own mail get no automatic
    answer (acknowledgement)."""
    return (
        message.auto_submitted
        or message.bulk
        or message.delivery_report
        or message.sender in own_addresses
    )


def refusal(message: ParsedMessage, *, own_addresses: Collection[str]) -> str | None:
    """Why the message is taken onto no case: a delivery report (`bounce`), the desk's own
    mail coming back (`loop`), no sender (`no_sender`); None to take it."""
    if message.delivery_report:
        return "bounce"
    if message.sender in own_addresses:
        return "loop"
    if not message.sender:
        return "no_sender"
    return None
