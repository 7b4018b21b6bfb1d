from __future__ import annotations

import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st

from casedesk.core.types import INT_MAX, Int, Text

Model = pydantic.create_model("Model", text=(Text(10, min_length=1), ...), number=(Int(0), 0))


@pytest.mark.parametrize("bad", ["", "   ", "a\x00b", "\ud800", "x" * 11])
def test_text_refuses_values_either_engine_would_reject(bad: str) -> None:
    with pytest.raises(pydantic.ValidationError):
        Model(text=bad)


@pytest.mark.parametrize("bad", [-1, INT_MAX + 1, 2**63])
def test_int_refuses_values_outside_32_bits(bad: int) -> None:
    with pytest.raises(pydantic.ValidationError):
        Model(text="ok", number=bad)


@given(st.text(max_size=30))
def test_text_accepts_exactly_the_clean_strings_within_bounds(value: str) -> None:
    stripped = value.strip()
    clean = "\x00" not in value and not any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    ok = clean and 1 <= len(stripped) <= 10
    try:
        Model(text=value)
    except pydantic.ValidationError:
        assert not ok
    else:
        assert ok
