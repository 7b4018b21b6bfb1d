"""The sign-in delay rule in plain Python (casedesk/directory/throttle.py): no database."""

from __future__ import annotations

import pytest

from casedesk.directory.throttle import address_key, signin_delay, user_key


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [(0, 0), (4, 0), (5, 5), (6, 10), (7, 20), (10, 160), (11, 300), (12, 300), (10_000, 300)],
)
def test_delay_doubles_from_the_first_and_stops_at_the_cap_when_failures_pass_the_free_ones(
    failures: int, seconds: int
) -> None:
    assert signin_delay(failures, free=5, first=5, longest=300) == seconds


def test_user_name_counts_once_when_it_comes_in_another_case() -> None:
    assert user_key("Admin ") == user_key("admin")


def test_ipv6_client_counts_by_its_64_network_when_it_changes_the_host_part() -> None:
    assert address_key("2001:db8:1:2::1") == address_key("2001:db8:1:2:ffff::9")
    assert address_key("2001:db8:1:2::1") != address_key("2001:db8:1:3::1")


def test_ipv4_client_counts_by_its_own_address_when_neighbours_fail() -> None:
    assert address_key("203.0.113.9") != address_key("203.0.113.10")
