"""Making deliveries: claim what is due, POST it, record the attempt (docs/webhooks.md).

`deliveries_run` is what the worker's jobs call, and what tests call directly. Several workers
may run it at once: a delivery is claimed with a conditional update (its lease), so only one
worker POSTs it at a time, and a claim whose worker died runs out after
`settings.WEBHOOK_LEASE_SECONDS` (`backoff.LEASE` unless set). No HTTP request is made inside a
database transaction.

Order: a delivery waits while an earlier event of the same case for the same webhook is still
pending, so each webhook receives a case's events in the order they happened (an earlier one
delivered or given up first).
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import logging
import socket
import ssl
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from casedesk.core import clock
from casedesk.events import addresses, backoff, signing
from casedesk.events.choices import DeliveryState
from casedesk.events.models import Delivery, DeliveryAttempt, Event
from casedesk.events.secrets import SecretUnreadable, secret_open
from casedesk.events.selectors import event_item

logger = logging.getLogger("casedesk.events")

ERROR_MAX = 500
DEFAULT_LIMIT = 100


@dataclass
class RunResult:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def attempted(self) -> int:
        return self.delivered + self.retrying + self.failed


@dataclass(frozen=True)
class Answer:
    """What one POST got: the status of an answer, or the error that stopped it."""

    status: int | None
    error: str

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def event_body(event: Event) -> bytes:
    """The body of a delivery: the event exactly as `GET /events` lists it."""
    return json.dumps(event_item(event), separators=(",", ":"), ensure_ascii=False).encode()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """A connection to one vetted address, whatever the URL's host resolves to by then."""

    def __init__(self, address: str, port: int, timeout: float) -> None:
        super().__init__(address, port, timeout=timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to one vetted address, with the certificate checked against the URL's host name."""

    def __init__(self, address: str, port: int, timeout: float, server_name: str) -> None:
        super().__init__(address, port, timeout=timeout, context=ssl.create_default_context())
        self._server_name = server_name

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self._server_name)  # type: ignore[attr-defined]


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Answer:
    """POST `body` to `url`, connecting only to an address the URL's host resolves to now and
    that is allowed (docs/webhooks.md#addresses); redirects are answers, not followed."""
    try:
        target = addresses.allowed_target(url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE)
        vetted = addresses.vetted_addresses(
            target.host, target.port, allow_private=settings.WEBHOOK_ALLOW_PRIVATE
        )
    except addresses.AddressRefused as exc:
        return Answer(None, f"refused: {exc}")
    deadline = time.monotonic() + timeout
    address = str(vetted[0])
    conn: http.client.HTTPConnection
    if target.scheme == "https":
        conn = _PinnedHTTPSConnection(address, target.port, timeout, target.host)
    else:
        conn = _PinnedHTTPConnection(address, target.port, timeout)
    try:
        conn.putrequest("POST", target.path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", target.host_header)
        conn.putheader("Content-Length", str(len(body)))
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders(body)
        if conn.sock is not None:
            conn.sock.settimeout(max(deadline - time.monotonic(), 0.001))
        response = conn.getresponse()
        response.read(64 * 1024)
        return Answer(response.status, "" if 200 <= response.status < 300 else response.reason)
    except TimeoutError:
        return Answer(None, f"timed out after {timeout:g} s")
    except (OSError, http.client.HTTPException) as exc:
        return Answer(None, f"{type(exc).__name__}: {exc}"[:ERROR_MAX])
    finally:
        conn.close()


def _due(now: dt.datetime) -> Q:
    return Q(state=DeliveryState.PENDING, next_attempt_at__lte=now) & (
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )


def _candidates(now: dt.datetime, limit: int) -> list[uuid.UUID]:
    earlier = Delivery.objects.filter(
        webhook_id=OuterRef("webhook_id"),
        case_id=OuterRef("case_id"),
        event_id__lt=OuterRef("event_id"),
        state=DeliveryState.PENDING,
    )
    rows = (
        Delivery.objects.filter(_due(now), webhook__active=True)
        .filter(Q(case_id__isnull=True) | ~Exists(earlier))
        .order_by("next_attempt_at", "event_id")
        .values_list("id", flat=True)[:limit]
    )
    return list(rows)


def _lease() -> dt.timedelta:
    seconds = getattr(settings, "WEBHOOK_LEASE_SECONDS", None)
    return dt.timedelta(seconds=seconds) if seconds else backoff.LEASE


def _claim(delivery_id: uuid.UUID, now: dt.datetime) -> uuid.UUID | None:
    """Take `delivery_id` for this worker until the lease runs out; None when another worker
    has it (or it is no longer due)."""
    token = uuid.uuid4()
    with transaction.atomic():
        taken = Delivery.objects.filter(_due(now), id=delivery_id).update(
            lease_until=now + _lease(), lease_token=token
        )
    return token if taken else None


def _record(
    delivery: Delivery, token: uuid.UUID, started: dt.datetime, answer: Answer, ms: int
) -> str:
    """Record the attempt and the delivery's new state; returns that state."""
    now = clock.now()
    number = delivery.attempts + 1
    if answer.ok:
        changes = {
            "state": DeliveryState.DELIVERED,
            "delivered_at": now,
            "next_attempt_at": None,
        }
    else:
        retry = backoff.next_attempt_at(created_at=delivery.created_at, now=now, attempts=number)
        changes = (
            {"state": DeliveryState.FAILED, "next_attempt_at": None}
            if retry is None
            else {"next_attempt_at": retry}
        )
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            delivery_id=delivery.pk,
            number=number,
            started_at=started,
            duration_ms=ms,
            status=answer.status,
            error=answer.error[:ERROR_MAX],
        )
        Delivery.objects.filter(id=delivery.pk, lease_token=token).update(
            attempts=number,
            last_status=answer.status,
            last_error=answer.error[:ERROR_MAX],
            lease_until=None,
            lease_token=None,
            **changes,
        )
    return str(changes.get("state", DeliveryState.PENDING))


def delivery_attempt(delivery_id: uuid.UUID, token: uuid.UUID) -> str:
    """POST one claimed delivery and record the attempt; returns the delivery's new state."""
    delivery = Delivery.objects.select_related("webhook", "event").get(id=delivery_id)
    webhook, event = delivery.webhook, delivery.event
    started = clock.now()
    began = time.monotonic()
    try:
        secret = secret_open(webhook.secret)
        answer = Answer(None, "the webhook is inactive")
    except SecretUnreadable as exc:
        secret, answer = "", Answer(None, str(exc))
    if webhook.active and secret:
        body = event_body(event)
        headers = signing.delivery_headers(
            secret=secret, body=body, event_type=event.type, delivery_id=str(delivery.pk)
        )
        answer = post(webhook.url, body, headers, timeout=backoff.TIMEOUT_SECONDS)
    ms = int((time.monotonic() - began) * 1000)
    state = _record(delivery, token, started, answer, ms)
    # The URL's query may carry a token of the receiver: log the webhook's id, never its URL,
    # its secret or the signature.
    logger.info(
        "webhook delivery %s of event %s to webhook %s: %s (%s)",
        delivery.pk,
        event.pk,
        webhook.pk,
        state,
        answer.status if answer.status is not None else answer.error,
    )
    return state


def deliveries_run(*, now: dt.datetime | None = None, limit: int = DEFAULT_LIMIT) -> RunResult:
    """Make up to `limit` due deliveries, oldest first; a case's next event for a webhook is
    taken once its earlier one is settled. `now` (tests) fixes what counts as due."""
    result = RunResult()
    tried: set[uuid.UUID] = set()
    while result.attempted < limit:
        at = now or clock.now()
        ids = [i for i in _candidates(at, limit - result.attempted) if i not in tried]
        if not ids:
            break
        for delivery_id in ids:
            tried.add(delivery_id)
            token = _claim(delivery_id, at)
            if token is None:
                continue
            state = delivery_attempt(delivery_id, token)
            if state == DeliveryState.DELIVERED:
                result.delivered += 1
            elif state == DeliveryState.FAILED:
                result.failed += 1
            else:
                result.retrying += 1
    return result
