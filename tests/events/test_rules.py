"""The pure rules of webhooks: signatures, the back-off schedule, which addresses may be
called (no database)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress

import pytest

from casedesk.events import addresses, backoff, signing

T0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


def test_the_signature_is_the_hex_hmac_sha256_of_the_body() -> None:
    body = b'{"id":1,"type":"case.created"}'

    header = signing.signature("k" * 20, body)

    assert header == "sha256=" + hmac.new(b"k" * 20, body, hashlib.sha256).hexdigest()
    assert signing.signature_valid("k" * 20, body, header)
    assert not signing.signature_valid("k" * 20, body + b" ", header)
    assert not signing.signature_valid("other-secret-16ch", body, header)


def test_delivery_headers_name_the_event_and_the_delivery() -> None:
    headers = signing.delivery_headers(
        secret="s" * 16, body=b"{}", event_type="case.resolved", delivery_id="d-1"
    )

    assert headers["X-Casedesk-Event"] == "case.resolved"
    assert headers["X-Casedesk-Delivery"] == "d-1"
    assert headers["X-Casedesk-Signature"] == signing.signature("s" * 16, b"{}")


def test_retries_start_within_30_seconds_and_double_up_to_an_hour() -> None:
    waits = [backoff.retry_delay(n).total_seconds() for n in range(1, 12)]

    assert waits[:9] == [15, 30, 60, 120, 240, 480, 960, 1920, 3600]
    assert waits[9:] == [3600, 3600]


def test_the_last_retry_is_at_24_hours_and_then_the_delivery_is_given_up() -> None:
    nearly = T0 + dt.timedelta(hours=23, minutes=30)
    day = T0 + dt.timedelta(hours=24)

    assert backoff.next_attempt_at(created_at=T0, now=nearly, attempts=15) == day
    assert backoff.next_attempt_at(created_at=T0, now=day, attempts=16) is None
    first = backoff.next_attempt_at(created_at=T0, now=T0, attempts=1)
    assert first == T0 + dt.timedelta(seconds=15)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.9.9.9",
        "::1",
        "10.0.0.1",
        "172.31.255.255",
        "192.168.0.1",
        "169.254.169.254",
        "fe80::1",
        "fc00::1",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "::ffff:10.0.0.1",
        "240.0.0.1",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert addresses.address_refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert addresses.address_refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/",
        "javascript:alert(1)",
        "http:///nohost",
        "https://u:p@example.com/",
        "http://example.com:99999/",
        "http://exa mple.com/",
        "http://example.com/\n",
    ],
)
def test_urls_that_are_not_plain_http_are_refused(url: str) -> None:
    with pytest.raises(addresses.AddressRefused):
        addresses.target(url)


def test_a_target_keeps_the_path_query_and_host_header() -> None:
    target = addresses.target("https://Hooks.Example.com:8443/in?x=1")

    assert (target.scheme, target.host, target.port, target.path) == (
        "https",
        "hooks.example.com",
        8443,
        "/in?x=1",
    )
    assert target.host_header == "hooks.example.com:8443"
    assert addresses.target("http://[2606:4700::1111]/").host_header == "[2606:4700::1111]"


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST.", "api.localhost", "127.0.0.1"])
def test_names_of_this_machine_are_refused_before_resolving(host: str) -> None:
    assert addresses.host_refusal(host) is not None
