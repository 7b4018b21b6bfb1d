"""Input types shared by every schema, so SQLite and PostgreSQL refuse the same values (422).

SQLite stores what PostgreSQL rejects (NUL characters, lone surrogates, integers beyond 2^31,
over-long strings); these types refuse such values before they reach either engine.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

INT_MIN = -(2**31)
INT_MAX = 2**31 - 1


def _clean_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("must be valid Unicode text") from exc
    return value


def Text(max_length: int, *, min_length: int = 0, strip: bool = True) -> type[str]:
    """A string of at most `max_length` characters (after stripping spaces when `strip`)."""
    return Annotated[  # type: ignore[return-value]
        str,
        StringConstraints(strip_whitespace=strip, min_length=min_length, max_length=max_length),
        AfterValidator(_clean_text),
    ]


def Int(ge: int = INT_MIN, le: int = INT_MAX) -> type[int]:
    """An integer within the range both engines store (a 32-bit signed integer by default)."""
    return Annotated[int, Field(ge=max(ge, INT_MIN), le=min(le, INT_MAX), strict=False)]  # type: ignore[return-value]


Name = Text(200, min_length=1)
ShortText = Text(200)
LongText = Text(100_000)
Minutes = Int(0, 10_000_000)
Limit = Int(1, 200)
