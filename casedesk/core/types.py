"""Input types shared by every schema, so SQLite and PostgreSQL refuse the same values (422).

SQLite stores what PostgreSQL rejects (NUL characters, lone surrogates, integers beyond 2^31,
over-long strings); these types refuse such values before they reach either engine.

Numbers and booleans are strict: a JSON body must send an integer as a JSON integer and a flag
as `true` or `false`; `"5"`, `5.0` or `true` is not taken for 5, nor `1` or `"yes"` for true;
times and dates are ISO 8601 text, never a number of seconds (docs/api.md). Query parameters
arrive as text and use their own lax types (`Limit`, plain `bool`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    Strict,
    StringConstraints,
    WithJsonSchema,
)

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
    """A JSON integer within the range both engines store (a 32-bit signed integer by
    default)."""
    return Annotated[int, Field(ge=max(ge, INT_MIN), le=min(le, INT_MAX)), Strict()]  # type: ignore[return-value]


def _json_number(value: object) -> object:
    """A JSON number (integer or decimal) as a Decimal; text and booleans are refused."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("must be a number")
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _text(max_length: int, min_length: int = 0, strip: bool = True) -> StringConstraints:
    return StringConstraints(strip_whitespace=strip, min_length=min_length, max_length=max_length)


_clean = AfterValidator(_clean_text)


def iso_text_only(value: object) -> object:
    """A time or a date comes as ISO 8601 text (or as the value itself, from Python): pydantic
    would otherwise read a JSON number as seconds since 1970."""
    if not isinstance(value, str | dt.date):
        raise ValueError("must be an ISO 8601 text")
    return value


# Named input types: use these in every schema (mypy sees plain `str` and `int`).
Name = Annotated[str, _text(200, 1), _clean]
Title = Annotated[str, _text(200, 1), _clean]
ShortText = Annotated[str, _text(200), _clean]
PersonName = Annotated[str, _text(100), _clean]
Code = Annotated[str, _text(50), _clean]
# A ticket number brought from another system (the case record holds 40 characters).
TicketNumber = Annotated[str, _text(40, 1), _clean]
Email = Annotated[str, _text(254), _clean]
Phone = Annotated[str, _text(50), _clean]
LongText = Annotated[str, _text(100_000), _clean]
ResolutionText = Annotated[str, _text(2000, 1), _clean]
MessageText = Annotated[str, _text(100_000, 1), _clean]
SearchText = Annotated[str, _text(200), _clean]
Cursor = Annotated[str, _text(2000), _clean]
Username = Annotated[str, _text(150, 1), _clean]
Password = Annotated[str, _text(500, 1, strip=False), _clean]
TokenName = Annotated[str, _text(100), _clean]
Minutes = Annotated[int, Field(ge=0, le=10_000_000), Strict()]
Count = Annotated[int, Field(ge=0, le=INT_MAX), Strict()]
# A token's lifetime.
Days = Annotated[int, Field(ge=1, le=3650), Strict()]
# A yes/no field of a body: `true` or `false`, nothing else.
Flag = Annotated[bool, Strict()]
# Entitlement terms: whole cases, or hours with at most two decimals (kept as minutes).
Terms = Annotated[
    Decimal,
    Field(ge=0, le=1_000_000, decimal_places=2, allow_inf_nan=False),
    Strict(),
    BeforeValidator(_json_number),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": 1_000_000}),
]
# A time (ISO 8601; without an offset it is read as the server reads naive times) and a date.
When = Annotated[dt.datetime, BeforeValidator(iso_text_only)]
Day = Annotated[dt.date, BeforeValidator(iso_text_only)]
# `?limit=` of a list: text in the query string, so not strict.
Limit = Annotated[int, Field(ge=1, le=200)]
