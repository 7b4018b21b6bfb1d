from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from casedesk.core.errors import RateLimited
from casedesk.core.ratelimit import rate_limit_take
from tests.conftest import Api, FakeClock, assert_error

pytestmark = pytest.mark.django_db


def test_bucket_allows_bursts_of_twice_the_rate_then_refuses(fake_clock: FakeClock) -> None:
    for _ in range(4):
        rate_limit_take("k", rate=2)
    with pytest.raises(RateLimited) as exc:
        rate_limit_take("k", rate=2)
    assert exc.value.retry_after == 1


def test_bucket_refills_at_the_rate_as_time_passes(fake_clock: FakeClock) -> None:
    for _ in range(4):
        rate_limit_take("k", rate=2)
    fake_clock.advance(0.49)
    with pytest.raises(RateLimited):
        rate_limit_take("k", rate=2)
    fake_clock.advance(0.02)  # half a second in all: one token back at two a second
    rate_limit_take("k", rate=2)
    with pytest.raises(RateLimited):
        rate_limit_take("k", rate=2)
    fake_clock.advance(60)  # never more than the burst, however long the wait
    for _ in range(4):
        rate_limit_take("k", rate=2)
    with pytest.raises(RateLimited):
        rate_limit_take("k", rate=2)


def test_retry_after_says_when_a_token_will_be_back(fake_clock: FakeClock) -> None:
    rate_limit_take("slow", rate=0.5)  # a burst of one
    fake_clock.advance(0.5)  # a quarter of a token back: three quarters, at half a second
    with pytest.raises(RateLimited) as exc:
        rate_limit_take("slow", rate=0.5)
    assert exc.value.retry_after == 2


def test_zero_turns_the_limit_off() -> None:
    for _ in range(50):
        rate_limit_take("k", rate=0)


def test_buckets_are_per_key() -> None:
    for _ in range(2):
        rate_limit_take("a", rate=1)
    rate_limit_take("b", rate=1)


def test_api_answers_429_with_retry_after_over_the_limit(
    agent_api: Api, agent: Any, fake_clock: FakeClock
) -> None:
    with override_settings(RATE_LIMIT=1):
        statuses = [agent_api.get("/api/v1/users").status_code for _ in range(3)]
        assert statuses[:2] == [200, 200]
        response = agent_api.get("/api/v1/users")
        assert_error(response, 429, "rate_limited")
        assert response["Retry-After"] == "1"


def test_limit_off_by_default(agent_api: Api) -> None:
    assert all(agent_api.get("/api/v1/users").status_code == 200 for _ in range(20))
