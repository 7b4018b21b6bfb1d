import pytest

from casedesk.core.concurrency import check_version, etag, parse_if_match
from casedesk.core.errors import BadRequest, VersionMismatch


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("*", None),
        ('"3"', 3),
        ('W/"12"', 12),
        ("7", 7),
        ('"1", "2"', frozenset({1, 2})),
        ('"1",W/"2" , 3', frozenset({1, 2, 3})),
        ('"4", , "4"', 4),
    ],
)
def test_if_match_is_parsed_when_it_is_a_list_of_version_tags(
    header: str | None, expected: int | frozenset[int] | None
) -> None:
    assert parse_if_match(header) == expected


@pytest.mark.parametrize(
    "header", ['"abc"', "W/x", '"99999999999"', "-1", '*, "1"', '"1", "x"', ",", '"1" "2"']
)
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


def test_a_list_of_versions_matches_when_any_of_them_is_current() -> None:
    check_version(frozenset({2, 3}), 3)
    with pytest.raises(VersionMismatch) as exc:
        check_version(frozenset({1, 2}), 3)
    assert exc.value.details == {"expected": [1, 2], "current": 3}
