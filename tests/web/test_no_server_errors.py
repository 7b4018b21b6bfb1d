"""Every page of the web UI answers garbage with a refusal, never a server error."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver

pytestmark = pytest.mark.django_db

GARBAGE: list[dict[str, Any]] = [
    {},
    {
        "version": "99999999999999",
        "resolution": "x" * 3000,
        "billable_minutes": "-5",
        "status": "merged",
        "into": "not-a-uuid",
        "duration_minutes": "1e9",
        "text": "",
        "other": "zzz",
        "stage": "nowhere",
        "case_ids": ["bad", str(uuid.uuid4())],
        "action": "route",
        "due": "yesterday",
        "language": "xx",
        "cursor": "forged",
        "items-TOTAL_FORMS": "x",
        "title": "\x00",
        "customer": "planet:1",
        "owner": "x",
        "queue": "nope",
    },
]


def _web_urls(case: Any, activity: Any, queue_item: Any, line: Any) -> list[str]:
    ids = {
        "contract_id": line.contract_id,
        "line_id": line.pk,
        "case_id": case.pk,
        "activity_id": activity.pk,
        "item_id": queue_item.pk,
        "customer_id": case.customer_account_id,
        "customer_type": "account",
        "entitlement_id": uuid.uuid4(),
        "queue_id": uuid.uuid4(),
        "rule_set_id": uuid.uuid4(),
        "calendar_id": uuid.uuid4(),
        "sla_id": uuid.uuid4(),
    }
    resolver = get_resolver()
    web = next(p for p in resolver.url_patterns if getattr(p, "namespace", None) == "web")
    urls = []
    for pattern in web.url_patterns:  # type: ignore[attr-defined]
        assert isinstance(pattern, URLPattern)
        route = str(pattern.pattern)
        for name, value in ids.items():
            for converter in ("uuid", "str"):
                route = route.replace(f"<{converter}:{name}>", str(value))
        urls.append("/" + route)
    return urls


def test_garbage_never_causes_a_server_error(
    web: Callable[..., Client], manager: Any, agent: Any, make_case: Any
) -> None:
    from casedesk.cases.services import activities
    from casedesk.cases.services.common import Ref
    from casedesk.entitlements.services import contracts
    from casedesk.routing.services import items, queues

    case = make_case()
    activity = activities.activity_create(actor=agent, case_id=case.pk, type="task", subject="x")
    queue = queues.queue_create(actor=manager, name="Q")
    item = items.queue_item_add(actor=agent, case_id=case.pk, queue_id=queue.pk).item
    contract = contracts.contract_create(
        actor=manager,
        name="C",
        customer=Ref("account", case.customer_account_id),
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
    )
    line = contracts.contract_line_create(
        actor=manager, contract_id=contract.pk, name="L", allotment_type="cases", total=1
    )
    for user in (manager,):
        client = web(user)
        for url in _web_urls(case, activity, item, line):
            if url.rstrip("/").endswith("logout"):
                continue
            for data in GARBAGE:
                got = client.get(url, {k: v for k, v in data.items() if isinstance(v, str)})
                assert got.status_code < 500, (url, "GET", data, got.status_code)
                posted = client.post(url, data)
                assert posted.status_code < 500, (url, "POST", data, posted.status_code)
