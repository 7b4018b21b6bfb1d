"""Webhook deliveries against a real receiver on loopback: signed, at least once, in each
case's order, retried with back-off for 24 hours, never to a refused address
(docs/webhooks.md)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import override_settings

from casedesk.events import backoff, delivery
from casedesk.events.delivery import deliveries_run
from casedesk.events.models import Delivery, Event
from casedesk.events.signing import signature_valid
from tests.conftest import Api, FakeClock
from tests.events.receiver import Receiver, closed_port, running_receiver

pytestmark = pytest.mark.django_db

SECRET = "the-receivers-shared-secret"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture
def hook(admin_api: Api, receiver: Receiver) -> Callable[..., dict[str, Any]]:
    def make(url: str | None = None, events: list[str] | None = None) -> dict[str, Any]:
        body = {"url": url or f"{receiver.url}/hook", "events": events or ["*"], "secret": SECRET}
        with override_settings(WEBHOOK_ALLOW_PRIVATE=True):
            response = admin_api.post("/api/v1/webhooks", body)
        assert response.status_code == 201, response.content
        return response.json()

    return make


def deliveries(hook_id: str) -> list[Delivery]:
    return list(Delivery.objects.filter(webhook_id=hook_id).order_by("event_id"))


# Committed: on PostgreSQL `GET /events` lists no event of a transaction still running.
@pytest.mark.django_db(transaction=True)
@override_settings(WEBHOOK_ALLOW_PRIVATE=True)
def test_a_delivery_posts_the_event_as_listed_signed_and_labelled(
    admin_api: Api, receiver: Receiver, hook: Callable[..., dict[str, Any]], new_case: Any
) -> None:
    webhook = hook()
    case = new_case()

    result = deliveries_run()

    [got] = receiver.received
    [listed] = admin_api.get("/api/v1/events").json()["items"]
    [made] = deliveries(webhook["id"])
    assert result.delivered == 1
    assert got.path == "/hook"
    assert got.event == listed and listed["case_id"] == case["id"]
    assert signature_valid(SECRET, got.body, got.headers["X-Casedesk-Signature"])
    assert got.headers["X-Casedesk-Signature"].startswith("sha256=")
    assert got.headers["X-Casedesk-Event"] == "case.created"
    assert got.headers["X-Casedesk-Delivery"] == str(made.pk)
    assert got.headers["Content-Type"] == "application/json"
    assert (made.state, made.attempts, made.last_status) == ("delivered", 1, 200)
    assert made.delivered_at is not None and made.next_attempt_at is None


@override_settings(WEBHOOK_ALLOW_PRIVATE=True)
def test_failed_attempts_are_retried_with_back_off_until_delivered(
    admin_api: Api,
    receiver: Receiver,
    hook: Callable[..., dict[str, Any]],
    new_case: Any,
    fake_clock: FakeClock,
) -> None:
    webhook = hook()
    new_case()
    receiver.script = [500, 503]

    failed_at = fake_clock.at
    deliveries_run()
    [first] = deliveries(webhook["id"])
    not_yet = deliveries_run()
    fake_clock.advance(15)
    deliveries_run()
    [second] = deliveries(webhook["id"])
    fake_clock.advance(30)
    deliveries_run()
    [third] = deliveries(webhook["id"])

    assert (first.state, first.attempts, first.last_status) == ("pending", 1, 500)
    assert first.next_attempt_at is not None
    assert first.next_attempt_at - failed_at <= dt.timedelta(seconds=30)
    assert not_yet.attempted == 0
    assert (second.state, second.attempts, second.last_status) == ("pending", 2, 503)
    assert (third.state, third.attempts, third.last_status) == ("delivered", 3, 200)
    assert len(receiver.received) == 3
    assert len({r.headers["X-Casedesk-Delivery"] for r in receiver.received}) == 1
    page = admin_api.get(f"/api/v1/webhooks/{webhook['id']}/deliveries").json()
    [listed] = page["items"]
    assert listed["attempts"] == 3 and listed["state"] == "delivered"
    assert [a["status"] for a in listed["attempt_list"]] == [500, 503, 200]
    assert listed["event_type"] == "case.created"


def test_the_first_retry_comes_within_30_seconds_and_waits_grow() -> None:
    waits = [backoff.retry_delay(n) for n in range(1, 12)]

    assert waits[0] <= dt.timedelta(seconds=30)
    assert all(a <= b for a, b in itertools.pairwise(waits))
    assert waits[-1] == backoff.LONGEST_WAIT


@override_settings(WEBHOOK_ALLOW_PRIVATE=True)
def test_a_slow_receiver_times_out_and_is_retried(
    receiver: Receiver,
    hook: Callable[..., dict[str, Any]],
    new_case: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(backoff, "TIMEOUT_SECONDS", 0.3)
    receiver.script, receiver.slow_seconds = ["slow"], 1.5
    webhook = hook()
    new_case()

    deliveries_run()

    [made] = deliveries(webhook["id"])
    assert (made.state, made.attempts, made.last_status) == ("pending", 1, None)
    assert "timed out" in made.last_error


@override_settings(WEBHOOK_ALLOW_PRIVATE=True)
def test_a_receiver_that_is_down_is_retried(
    hook: Callable[..., dict[str, Any]], new_case: Any
) -> None:
    webhook = hook(url=f"http://127.0.0.1:{closed_port()}/hook")
    new_case()

    deliveries_run()

    [made] = deliveries(webhook["id"])
    assert (made.state, made.attempts, made.last_status) == ("pending", 1, None)
    assert "refused" in made.last_error.lower()


@override_settings(WEBHOOK_ALLOW_PRIVATE=True)
def test_a_redirect_is_not_followed(
    receiver: Receiver, hook: Callable[..., dict[str, Any]], new_case: Any
) -> None:
    receiver.script = ["redirect"]
    webhook = hook()
    new_case()

    deliveries_run()

    [made] = deliveries(webhook["id"])
    assert len(receiver.received) == 1
    assert (made.state, made.last_status) == ("pending", 302)


@override_settings(WEBHOOK_ALLOW_PRIVATE=True)
def test_a_delivery_is_given_up_after_24_hours(
    receiver: Receiver,
    hook: Callable[..., dict[str, Any]],
    new_case: Any,
    fake_clock: FakeClock,
) -> None:
    receiver.script = [500] * 100
    webhook = hook()
    new_case()

    attempts = 0
    for _ in range(60):
        attempts += deliveries_run().attempted
        [made] = deliveries(webhook["id"])
        if made.state != "pending":
            break
        assert made.next_attempt_at is not None
        fake_clock.at = made.next_attempt_at

    assert made.state == "failed" and made.next_attempt_at is None
    assert made.attempts == attempts == len(receiver.received)
    assert fake_clock.at - made.created_at == backoff.GIVE_UP_AFTER
    assert 20 <= attempts <= 40


@override_settings(WEBHOOK_ALLOW_PRIVATE=True)
def test_a_cases_later_event_waits_until_its_earlier_one_is_delivered(
    agent_api: Api,
    receiver: Receiver,
    hook: Callable[..., dict[str, Any]],
    new_case: Any,
    fake_clock: FakeClock,
) -> None:
    hook()
    first = new_case()
    agent_api.patch(f"/api/v1/cases/{first['id']}", {"priority": "high"})
    other = new_case()
    receiver.script = [500]  # the first event of the first case fails once

    deliveries_run()
    seen_before_retry = [(r.event["case_id"], r.event["type"]) for r in receiver.received]
    fake_clock.advance(60)
    deliveries_run()

    assert seen_before_retry == [
        (first["id"], "case.created"),  # failed: the update waits
        (other["id"], "case.created"),
    ]
    order = [(r.event["case_id"], r.event["type"]) for r in receiver.received]
    assert order[2:] == [(first["id"], "case.created"), (first["id"], "case.updated")]


@override_settings(WEBHOOK_ALLOW_PRIVATE=True)
def test_a_later_event_goes_once_the_earlier_one_failed_for_good(
    agent_api: Api,
    receiver: Receiver,
    hook: Callable[..., dict[str, Any]],
    new_case: Any,
    fake_clock: FakeClock,
) -> None:
    webhook = hook()
    case = new_case()
    agent_api.patch(f"/api/v1/cases/{case['id']}", {"priority": "high"})
    created, updated = deliveries(webhook["id"])
    Delivery.objects.filter(pk=created.pk).update(state="failed", next_attempt_at=None)

    deliveries_run()

    assert [r.event["type"] for r in receiver.received] == ["case.updated"]
    assert Delivery.objects.get(pk=updated.pk).state == "delivered"


def test_a_webhook_gets_only_the_events_it_subscribed_to(
    agent_api: Api, admin_api: Api, hook: Callable[..., dict[str, Any]], new_case: Any
) -> None:
    resolved_only = hook(events=["case.resolved"])
    inactive = hook()
    admin_api.patch(f"/api/v1/webhooks/{inactive['id']}", {"active": False})
    case = new_case()

    agent_api.post(f"/api/v1/cases/{case['id']}/resolve", {"resolution": "Done."})

    assert [d.event.type for d in deliveries(resolved_only["id"])] == ["case.resolved"]
    assert deliveries(inactive["id"]) == []


def test_a_delivery_is_refused_at_delivery_time_when_private_addresses_are_not_allowed(
    receiver: Receiver, hook: Callable[..., dict[str, Any]], new_case: Any
) -> None:
    webhook = hook()  # saved while private addresses were allowed
    new_case()

    deliveries_run()

    [made] = deliveries(webhook["id"])
    assert receiver.received == []
    assert made.last_error.startswith("refused:") and "loopback" in made.last_error


def test_a_name_that_resolves_to_a_private_address_at_delivery_time_is_refused(
    receiver: Receiver,
    hook: Callable[..., dict[str, Any]],
    new_case: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = int(receiver.url.rsplit(":", 1)[1])
    webhook = hook(url=f"http://hooks.example.com:{port}/hook")
    new_case()

    def rebound(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        # The name resolved to a public address when saved; now it points at this machine.
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebound)
    deliveries_run()

    [made] = deliveries(webhook["id"])
    assert receiver.received == []
    assert "127.0.0.1" in made.last_error and made.state == "pending"


@override_settings(WEBHOOK_ALLOW_PRIVATE=True)
def test_a_name_is_called_at_its_vetted_address_with_its_own_host_header(
    receiver: Receiver,
    hook: Callable[..., dict[str, Any]],
    new_case: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = int(receiver.url.rsplit(":", 1)[1])
    hook(url=f"http://hooks.example.com:{port}/hook?token=abc")
    new_case()
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))],
    )

    deliveries_run()

    [got] = receiver.received
    assert got.headers["Host"] == f"hooks.example.com:{port}"
    assert got.path == "/hook?token=abc"


@override_settings(WEBHOOK_ALLOW_PRIVATE=True)
def test_a_claimed_delivery_is_not_taken_again_until_its_lease_runs_out(
    receiver: Receiver, hook: Callable[..., dict[str, Any]], new_case: Any
) -> None:
    from casedesk.core import clock

    webhook = hook()
    new_case()
    [made] = deliveries(webhook["id"])
    now = clock.now()
    assert delivery._claim(made.pk, now) is not None  # a worker took it, then died

    during = deliveries_run(now=now + backoff.LEASE - dt.timedelta(seconds=1))
    after = deliveries_run(now=now + backoff.LEASE + dt.timedelta(seconds=1))

    assert during.attempted == 0
    assert after.delivered == 1 and len(receiver.received) == 1


def test_new_deliveries_queue_one_delivery_job_with_the_write(
    hook: Callable[..., dict[str, Any]], new_case: Any
) -> None:
    """The job is queued in the write's own transaction (it commits or rolls back with it),
    and writes made while it waits join it instead of queueing more."""
    from django_tasks_db.models import DBTaskResult

    hook()
    before = DBTaskResult.objects.count()
    new_case()
    new_case()

    jobs = DBTaskResult.objects.order_by("-enqueued_at")[: DBTaskResult.objects.count() - before]
    assert [j.task_path for j in jobs] == ["casedesk.events.tasks.deliveries_task"]


def test_a_write_that_rolls_back_queues_no_delivery_job(
    hook: Callable[..., dict[str, Any]], new_case: Any
) -> None:
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    hook()
    before = DBTaskResult.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        new_case()
        raise RuntimeError("after the write")

    assert DBTaskResult.objects.count() == before


def test_the_event_body_is_compact_json_of_the_listed_item(new_case: Any) -> None:
    new_case()
    event = Event.objects.get()

    body = delivery.event_body(event)

    assert json.loads(body)["id"] == event.pk
    assert b"\n" not in body


@pytest.mark.django_db(transaction=True)
@override_settings(WEBHOOK_ALLOW_PRIVATE=True)
def test_two_workers_at_once_deliver_each_event_once(
    receiver: Receiver, hook: Callable[..., dict[str, Any]], new_case: Any
) -> None:
    import threading

    from django.db import connection

    webhook = hook()
    for _ in range(6):
        new_case()
    receiver.hold = 0.1
    barrier = threading.Barrier(2)
    results: list[int] = []

    def worker() -> None:
        try:
            barrier.wait(5)
            results.append(deliveries_run().attempted)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    ids = [r.headers["X-Casedesk-Delivery"] for r in receiver.received]
    assert sorted(ids) == sorted(str(d.pk) for d in deliveries(webhook["id"]))
    assert len(ids) == len(set(ids)) == 6
    assert sum(results) == 6 and all(n > 0 for n in results), results
    assert all(d.state == "delivered" for d in deliveries(webhook["id"]))


@override_settings(WEBHOOK_ALLOW_PRIVATE=True)
def test_pending_deliveries_of_an_inactive_webhook_wait_until_it_is_active_again(
    admin_api: Api, receiver: Receiver, hook: Callable[..., dict[str, Any]], new_case: Any
) -> None:
    webhook = hook()
    new_case()
    path = f"/api/v1/webhooks/{webhook['id']}"
    admin_api.patch(path, {"active": False})

    while_inactive = deliveries_run()
    admin_api.patch(path, {"active": True})
    once_active = deliveries_run()

    assert while_inactive.attempted == 0
    assert once_active.delivered == 1 and len(receiver.received) == 1


def test_the_secret_is_stored_sealed_and_a_changed_secret_key_fails_the_attempt(
    receiver: Receiver, hook: Callable[..., dict[str, Any]], new_case: Any
) -> None:
    from casedesk.events.models import Webhook

    webhook = hook()
    new_case()
    stored = Webhook.objects.get(pk=webhook["id"]).secret

    with override_settings(WEBHOOK_ALLOW_PRIVATE=True, SECRET_KEY="another-key-" * 4):
        deliveries_run()

    [made] = deliveries(webhook["id"])
    assert SECRET not in stored
    assert receiver.received == []
    assert made.state == "pending" and "cannot be decrypted" in made.last_error
