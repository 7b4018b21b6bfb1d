"""The client address behind trusted proxies (`CASEDESK_TRUSTED_PROXIES`)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory

from casedesk import config
from casedesk.core.proxies import client_address


def _request(remote: str, forwarded: str | None = None) -> Any:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_client_is_the_connecting_address_when_no_proxy_is_trusted(settings: Any) -> None:
    settings.TRUSTED_PROXIES = []
    assert client_address(_request("10.0.0.7", "203.0.113.9")) == "10.0.0.7"


def test_client_is_the_forwarded_address_when_the_connection_comes_from_a_trusted_proxy(
    settings: Any,
) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.7"]
    assert client_address(_request("10.0.0.7", "203.0.113.9")) == "203.0.113.9"


def test_forwarded_header_is_ignored_when_the_connection_is_not_from_a_trusted_proxy(
    settings: Any,
) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.7"]
    assert client_address(_request("198.51.100.5", "203.0.113.9")) == "198.51.100.5"


def test_client_is_the_rightmost_untrusted_hop_when_the_client_forges_earlier_hops(
    settings: Any,
) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    forwarded = "1.2.3.4, 203.0.113.9, 10.1.2.3"
    assert client_address(_request("10.0.0.7", forwarded)) == "203.0.113.9"


def test_client_is_the_leftmost_hop_when_every_hop_is_trusted(settings: Any) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_address(_request("10.0.0.7", "10.9.9.9, 10.1.2.3")) == "10.9.9.9"


def test_client_is_the_proxy_when_the_proxy_sends_no_forwarded_header(settings: Any) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.7"]
    assert client_address(_request("10.0.0.7")) == "10.0.0.7"


def test_hop_that_is_no_address_stops_the_walk_at_the_last_trusted_hop(settings: Any) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_address(_request("10.0.0.7", "203.0.113.9, junk, 10.1.2.3")) == "10.1.2.3"


def test_ipv6_and_ports_are_read_when_a_proxy_forwards_them(settings: Any) -> None:
    settings.TRUSTED_PROXIES = ["::1", "10.0.0.0/8"]
    assert client_address(_request("::1", "[2001:db8::1]:5555")) == "2001:db8::1"
    assert client_address(_request("10.0.0.7", "203.0.113.9:443")) == "203.0.113.9"


def test_trusted_proxies_are_read_from_the_environment_when_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CASEDESK_TRUSTED_PROXIES", " 10.0.0.7 , 192.168.0.0/16,, ::1")
    assert config.trusted_proxies() == ["10.0.0.7/32", "192.168.0.0/16", "::1/128"]


def test_trusted_proxies_refuse_to_start_when_a_value_is_not_an_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CASEDESK_TRUSTED_PROXIES", "10.0.0.7, proxy.example.com")
    with pytest.raises(RuntimeError, match="CASEDESK_TRUSTED_PROXIES"):
        config.trusted_proxies()
