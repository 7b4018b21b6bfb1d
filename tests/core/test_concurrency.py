import pytest

from casedesk.core.concurrency import check_version, etag, parse_if_match
from casedesk.core.errors import BadRequest, VersionMismatch


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, None), ("*", None), ('"3"', 3), ('W/"12"', 12), ('"1", "2"', 1), ("7", 7)],
)
def test_if_match_is_parsed_when_it_is_a_version_tag(
    header: str | None, expected: int | None
) -> None:
    assert parse_if_match(header) == expected


@pytest.mark.parametrize("header", ['"abc"', "W/x", '"99999999999"', "-1"])
def test_if_match_is_refused_when_malformed(header: str) -> None:
    with pytest.raises(BadRequest):
        parse_if_match(header)


def test_version_mismatch_raises_412() -> None:
    with pytest.raises(VersionMismatch) as exc:
        check_version(2, 3)
    assert exc.value.status == 412
    check_version(None, 3)
    check_version(3, 3)
    assert etag(4) == '"4"'
