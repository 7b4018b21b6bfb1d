"""Sign-in protection (docs/security.md): after a few failures for a user name or a client
address the next attempt waits, twice as long after each further failure, at most five
minutes; a success clears the user name's count; administrators lift a delay at once."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from casedesk.directory import services
from tests.conftest import PASSWORD, FakeClock, assert_error

pytestmark = pytest.mark.django_db

# The documented defaults (docs/security.md).
FREE_PER_USER = 5
FREE_PER_ADDRESS = 20
FIRST_DELAY = 5
LONGEST_DELAY = 300
WRONG = "not-the-password-1"
PROXY = "10.0.0.7"


def attempt(
    username: str,
    password: str = WRONG,
    *,
    remote: str = "127.0.0.1",
    forwarded: str | None = None,
) -> Any:
    """`POST /api/v1/auth/token` from `remote`, through a proxy when `forwarded` is given."""
    extra: dict[str, str] = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return Client().post(
        "/api/v1/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
        **extra,  # type: ignore[arg-type]
    )


def test_next_attempt_waits_the_first_delay_when_a_user_name_has_five_failures(
    agent: Any, fake_clock: FakeClock
) -> None:
    for _ in range(FREE_PER_USER):
        assert_error(attempt(agent.username), 401, "unauthenticated")
    response = attempt(agent.username, PASSWORD)
    assert_error(response, 429, "rate_limited")
    assert response["Retry-After"] == str(FIRST_DELAY)


def test_delay_doubles_when_one_more_failure_follows_the_wait(
    agent: Any, fake_clock: FakeClock
) -> None:
    for _ in range(FREE_PER_USER):
        attempt(agent.username)
    fake_clock.advance(FIRST_DELAY)
    assert_error(attempt(agent.username), 401, "unauthenticated")
    response = attempt(agent.username, PASSWORD)
    assert_error(response, 429, "rate_limited")
    assert response["Retry-After"] == str(2 * FIRST_DELAY)


def test_delay_never_exceeds_five_minutes_when_failures_go_on(
    agent: Any, fake_clock: FakeClock
) -> None:
    waits = []
    for _ in range(40):
        refused = attempt(agent.username)
        if refused.status_code == 429:
            waits.append(int(refused["Retry-After"]))
            fake_clock.advance(int(refused["Retry-After"]))
            assert_error(attempt(agent.username), 401, "unauthenticated")
    assert waits and max(waits) == LONGEST_DELAY


def test_owner_signs_in_five_minutes_later_when_a_stranger_failed_twenty_times_on_their_name(
    admin: Any, fake_clock: FakeClock
) -> None:
    for i in range(20):
        fake_clock.advance(LONGEST_DELAY)
        attempt(admin.username, remote=f"203.0.113.{i + 1}")
    fake_clock.advance(LONGEST_DELAY)
    assert attempt(admin.username, PASSWORD, remote="198.51.100.5").status_code == 201


def test_attempt_is_refused_when_the_delay_has_not_passed_even_with_the_right_password(
    agent: Any, fake_clock: FakeClock
) -> None:
    for _ in range(FREE_PER_USER):
        attempt(agent.username)
    fake_clock.advance(FIRST_DELAY - 1)
    response = attempt(agent.username, PASSWORD)
    assert_error(response, 429, "rate_limited")
    assert response["Retry-After"] == "1"


def test_success_resets_the_user_name_count_when_it_comes_after_the_delay(
    agent: Any, fake_clock: FakeClock
) -> None:
    for _ in range(FREE_PER_USER):
        attempt(agent.username)
    fake_clock.advance(FIRST_DELAY)
    assert attempt(agent.username, PASSWORD).status_code == 201
    for _ in range(FREE_PER_USER - 1):
        assert_error(attempt(agent.username), 401, "unauthenticated")
    assert attempt(agent.username, PASSWORD).status_code == 201


def test_address_waits_when_it_has_twenty_failures_over_many_user_names(
    make_user: Any, fake_clock: FakeClock
) -> None:
    for i in range(FREE_PER_ADDRESS):
        attempt(f"ghost{i}", remote="203.0.113.9")
    user = make_user()
    response = attempt(user.username, PASSWORD, remote="203.0.113.9")
    assert_error(response, 429, "rate_limited")
    assert response["Retry-After"] == str(FIRST_DELAY)
    assert attempt(user.username, PASSWORD, remote="203.0.113.10").status_code == 201


def test_other_clients_sign_in_when_twenty_failures_came_through_the_trusted_proxy(
    make_user: Any, settings: Any, fake_clock: FakeClock
) -> None:
    settings.TRUSTED_PROXIES = [PROXY]
    for i in range(FREE_PER_ADDRESS):
        attempt(f"ghost{i}", remote=PROXY, forwarded="203.0.113.9")
    user = make_user()
    assert (
        attempt(user.username, PASSWORD, remote=PROXY, forwarded="198.51.100.5").status_code == 201
    )
    refused = attempt(user.username, PASSWORD, remote=PROXY, forwarded="203.0.113.9")
    assert_error(refused, 429, "rate_limited")


def test_forwarded_address_is_ignored_when_the_sender_is_not_a_trusted_proxy(
    make_user: Any, settings: Any, fake_clock: FakeClock
) -> None:
    settings.TRUSTED_PROXIES = [PROXY]
    for i in range(FREE_PER_ADDRESS):
        attempt(f"ghost{i}", remote="203.0.113.9", forwarded=f"192.0.2.{i + 1}")
    user = make_user()
    refused = attempt(user.username, PASSWORD, remote="203.0.113.9", forwarded="192.0.2.200")
    assert_error(refused, 429, "rate_limited")


def test_failures_are_forgotten_when_the_user_name_was_quiet_for_an_hour(
    agent: Any, fake_clock: FakeClock
) -> None:
    for _ in range(FREE_PER_USER):
        attempt(agent.username)
    fake_clock.advance(3600)
    for _ in range(FREE_PER_USER - 1):
        assert_error(attempt(agent.username), 401, "unauthenticated")
    assert attempt(agent.username, PASSWORD).status_code == 201


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def security_log() -> Iterator[_Records]:
    handler = _Records()
    logger = logging.getLogger("casedesk.security")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def test_delay_is_logged_with_user_name_address_failures_and_seconds_when_it_starts(
    agent: Any, settings: Any, fake_clock: FakeClock, security_log: _Records
) -> None:
    settings.TRUSTED_PROXIES = [PROXY]
    for _ in range(FREE_PER_USER):
        attempt(agent.username, remote=PROXY, forwarded="203.0.113.9")
    record = next(r for r in security_log.records if r.levelno == logging.WARNING)
    fields = record.__dict__
    assert fields["username"] == agent.username
    assert fields["client_address"] == "203.0.113.9"
    assert fields["failures"] == FREE_PER_USER
    assert fields["delay_seconds"] == FIRST_DELAY
    assert agent.username in record.getMessage() and "203.0.113.9" in record.getMessage()


def test_unlock_lets_the_user_sign_in_at_once_when_their_name_waits(
    agent: Any, admin: Any, fake_clock: FakeClock
) -> None:
    for _ in range(30):
        fake_clock.advance(LONGEST_DELAY)
        attempt(agent.username, remote="203.0.113.9")
    assert_error(attempt(agent.username, PASSWORD), 429, "rate_limited")
    services.login_unlock(actor=admin, user_id=agent.pk)
    assert attempt(agent.username, PASSWORD).status_code == 201


def test_unlock_is_refused_when_the_actor_is_not_an_administrator(agent: Any, manager: Any) -> None:
    from casedesk.core.errors import Forbidden

    with pytest.raises(Forbidden):
        services.login_unlock(actor=manager, user_id=agent.pk)


def _delay(username: str, clock: FakeClock) -> None:
    """Enough failures on `username` that it waits five minutes."""
    for _ in range(FREE_PER_USER + 10):
        clock.advance(LONGEST_DELAY)
        attempt(username, remote="203.0.113.9")


def test_api_unlock_lets_the_user_sign_in_at_once_when_an_administrator_calls_it(
    agent: Any, admin_api: Any, fake_clock: FakeClock
) -> None:
    _delay(agent.username, fake_clock)
    response = admin_api.post(f"/api/v1/users/{agent.pk}/unlock")
    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(agent.pk)
    assert attempt(agent.username, PASSWORD).status_code == 201


@pytest.mark.parametrize("caller", ["agent", "manager"])
def test_api_unlock_is_403_and_lifts_nothing_when_the_caller_is_not_an_administrator(
    agent: Any, make_user: Any, make_api: Any, fake_clock: FakeClock, caller: str
) -> None:
    _delay(agent.username, fake_clock)
    api = make_api(make_user(caller))
    assert_error(api.post(f"/api/v1/users/{agent.pk}/unlock"), 403, "forbidden")
    assert_error(attempt(agent.username, PASSWORD), 429, "rate_limited")


def test_api_unlock_is_404_when_the_user_does_not_exist(admin_api: Any) -> None:
    zero = "00000000-0000-0000-0000-000000000000"
    assert_error(admin_api.post(f"/api/v1/users/{zero}/unlock"), 404, "not_found")


def test_unlock_is_audited_when_an_administrator_lifts_a_delay(
    agent: Any, admin: Any, fake_clock: FakeClock
) -> None:
    from casedesk.core.models import AuditEntry

    _delay(agent.username, fake_clock)
    services.login_unlock(actor=admin, user_id=agent.pk)
    entry = AuditEntry.objects.get(entity_id=agent.pk, action="unlock")
    assert entry.actor_id == admin.pk
