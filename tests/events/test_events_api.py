"""`GET /events` and `/webhooks`: administrators only, the list conventions, a write-only
secret, refused addresses (docs/api.md#events-and-webhooks)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import override_settings

from tests.conftest import Api, assert_error
from tests.support import skips

pytestmark = pytest.mark.django_db

SECRET = "s3cret-of-sixteen-chars"
HOOK = {"url": "https://hooks.example.com/casedesk", "events": ["*"], "secret": SECRET}


@pytest.mark.parametrize("role", ["agent", "manager"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/events"),
        ("GET", "/api/v1/webhooks"),
        ("POST", "/api/v1/webhooks"),
    ],
)
def test_only_administrators_reach_events_and_webhooks(
    make_user: Callable[..., Any], make_api: Callable[..., Api], role: str, method: str, path: str
) -> None:
    api = make_api(make_user(role))

    response = api.call(method, path, HOOK if method == "POST" else None)

    assert_error(response, 403, "forbidden")


@pytest.mark.parametrize("role", ["agent", "manager"])
def test_only_administrators_reach_one_webhook_and_its_deliveries(
    admin_api: Api, make_user: Callable[..., Any], make_api: Callable[..., Api], role: str
) -> None:
    hook = admin_api.post("/api/v1/webhooks", HOOK).json()
    api = make_api(make_user(role))
    path = f"/api/v1/webhooks/{hook['id']}"

    assert_error(api.get(path), 403, "forbidden")
    assert_error(api.patch(path, {"active": False}), 403, "forbidden")
    assert_error(api.delete(path), 403, "forbidden")
    assert_error(api.get(f"{path}/deliveries"), 403, "forbidden")


# Committed: on PostgreSQL `GET /events` lists no event of a transaction still running.
@pytest.mark.django_db(transaction=True)
def test_events_are_listed_oldest_first_and_paged_after_an_id(
    admin_api: Api, new_case: Callable[..., dict[str, Any]]
) -> None:
    first, second, third = new_case(), new_case(), new_case()

    page = admin_api.get("/api/v1/events", limit=2).json()
    rest = admin_api.get("/api/v1/events", cursor=page["next"]).json()
    after = admin_api.get("/api/v1/events", after=page["items"][0]["id"]).json()

    assert [e["case_id"] for e in page["items"]] == [first["id"], second["id"]]
    assert [e["case_id"] for e in rest["items"]] == [third["id"]]
    assert rest["next"] is None
    assert [e["case_id"] for e in after["items"]] == [second["id"], third["id"]]
    item = page["items"][0]
    assert set(item) == {"id", "type", "occurred_at", "case_id", "data"}
    assert item["type"] == "case.created"
    assert isinstance(item["id"], int)


@pytest.mark.parametrize("after", ["abc", "-1", "1.5"])
def test_a_bad_after_is_400(admin_api: Api, after: str) -> None:
    assert_error(admin_api.get("/api/v1/events", after=after), 400, "bad_request")


def test_a_webhook_is_created_read_changed_and_deleted_without_ever_showing_its_secret(
    admin_api: Api,
) -> None:
    created = admin_api.post("/api/v1/webhooks", HOOK)
    assert created.status_code == 201
    hook = created.json()
    path = f"/api/v1/webhooks/{hook['id']}"

    changed = admin_api.patch(
        path,
        {"events": ["case.created", "case.resolved"], "active": False},
        headers={"If-Match": '"1"'},
    )
    listed = admin_api.get("/api/v1/webhooks").json()
    deleted = admin_api.delete(path)

    assert hook["url"] == HOOK["url"] and hook["events"] == ["*"] and hook["active"] is True
    assert changed.status_code == 200
    assert changed.json()["events"] == ["case.created", "case.resolved"]
    assert changed.json()["active"] is False and changed.json()["version"] == 2
    assert [h["id"] for h in listed["items"]] == [hook["id"]]
    for body in (created.content, changed.content, admin_api.get("/api/v1/webhooks").content):
        assert SECRET.encode() not in body and b'"secret"' not in body
    assert deleted.status_code == 204
    assert_error(admin_api.get(path), 404, "not_found")


def test_a_stale_if_match_changes_nothing(admin_api: Api) -> None:
    hook = admin_api.post("/api/v1/webhooks", HOOK).json()

    response = admin_api.patch(
        f"/api/v1/webhooks/{hook['id']}", {"active": False}, headers={"If-Match": '"7"'}
    )

    assert_error(response, 412, "version_mismatch")
    assert admin_api.get(f"/api/v1/webhooks/{hook['id']}").json()["active"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**HOOK, "events": ["case.exploded"]}, "events"),
        ({**HOOK, "events": []}, "events"),
        ({**HOOK, "events": ["*", "case.created"]}, "events"),
        ({**HOOK, "secret": "short"}, "secret"),
        ({**HOOK, "url": "ftp://files.example.com/x"}, "url"),
        ({**HOOK, "url": "file:///etc/passwd"}, "url"),
        ({**HOOK, "url": "https://user:pw@hooks.example.com/"}, "url"),
        ({**HOOK, "url": "not a url"}, "url"),
    ],
)
def test_invalid_webhooks_are_422_naming_the_field(
    admin_api: Api, body: dict[str, Any], field: str
) -> None:
    error = assert_error(admin_api.post("/api/v1/webhooks", body), 422, "validation_error")

    assert field in error["details"]["fields"], error


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://10.1.2.3/hook",
        "http://192.168.1.10/hook",
        "http://172.16.0.5/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://100.64.0.1/hook",
    ],
)
def test_loopback_link_local_and_private_urls_are_refused(admin_api: Api, url: str) -> None:
    hook = admin_api.post("/api/v1/webhooks", HOOK).json()

    created = admin_api.post("/api/v1/webhooks", {**HOOK, "url": url})
    changed = admin_api.patch(f"/api/v1/webhooks/{hook['id']}", {"url": url})

    assert "url" in assert_error(created, 422, "validation_error")["details"]["fields"]
    assert "url" in assert_error(changed, 422, "validation_error")["details"]["fields"]


@override_settings(WEBHOOK_ALLOW_PRIVATE=True)
def test_private_urls_are_accepted_when_allowed(admin_api: Api) -> None:
    response = admin_api.post("/api/v1/webhooks", {**HOOK, "url": "http://127.0.0.1:9/hook"})

    assert response.status_code == 201


def test_an_unknown_webhook_is_404(admin_api: Api) -> None:
    path = "/api/v1/webhooks/00000000-0000-4000-8000-000000000000"

    assert_error(admin_api.get(path), 404, "not_found")
    assert_error(admin_api.get(f"{path}/deliveries"), 404, "not_found")
    assert_error(admin_api.delete(path), 404, "not_found")


@pytest.mark.django_db(transaction=True)
def test_an_event_waits_for_an_earlier_transaction_still_running(
    admin_api: Api, new_case: Callable[..., dict[str, Any]]
) -> None:
    """A transaction that took id N and commits after the one that took N + 1: a reader that
    polls with `?after=` would skip N if N + 1 were listed first (PostgreSQL; on SQLite one
    writer at a time commits in id order)."""
    skips.engine_only("postgresql", "transactions that commit out of id order")
    import psycopg
    from django.db import connection

    s = connection.settings_dict
    other = psycopg.connect(
        dbname=s["NAME"], user=s["USER"], password=s["PASSWORD"], host=s["HOST"], port=s["PORT"]
    )
    try:
        with other.cursor() as cursor:
            cursor.execute(
                "INSERT INTO casedesk_events_event (type, occurred_at, data) "
                "VALUES ('case.updated', now(), '{}') RETURNING id"
            )
            row = cursor.fetchone()
            assert row is not None
            earlier = row[0]
        case = new_case()  # commits its event, with a larger id

        while_running = admin_api.get("/api/v1/events").json()["items"]
        other.commit()
        after_commit = admin_api.get("/api/v1/events").json()["items"]
    finally:
        other.close()

    assert while_running == []
    assert [e["id"] for e in after_commit][:1] == [earlier]
    assert after_commit[-1]["case_id"] == case["id"]
