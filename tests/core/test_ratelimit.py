from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from casedesk.core.errors import RateLimited
from casedesk.core.ratelimit import rate_limit_take
from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db


def test_bucket_allows_bursts_of_twice_the_rate_then_refuses() -> None:
    for _ in range(4):
        rate_limit_take("k", rate=2)
    with pytest.raises(RateLimited) as exc:
        rate_limit_take("k", rate=2)
    assert exc.value.retry_after >= 1


def test_zero_turns_the_limit_off() -> None:
    for _ in range(50):
        rate_limit_take("k", rate=0)


def test_buckets_are_per_key() -> None:
    for _ in range(2):
        rate_limit_take("a", rate=1)
    rate_limit_take("b", rate=1)


def test_api_answers_429_with_retry_after_over_the_limit(agent_api: Api, agent: Any) -> None:
    with override_settings(RATE_LIMIT=1):
        statuses = [agent_api.get("/api/v1/users").status_code for _ in range(3)]
        assert statuses[:2] == [200, 200]
        response = agent_api.get("/api/v1/users")
        assert_error(response, 429, "rate_limited")
        assert int(response["Retry-After"]) >= 1


def test_limit_off_by_default(agent_api: Api) -> None:
    assert all(agent_api.get("/api/v1/users").status_code == 200 for _ in range(20))
