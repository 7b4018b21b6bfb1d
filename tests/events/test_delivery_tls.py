"""https deliveries: TLS to the vetted address, the certificate checked against the URL's host
name (a real TLS receiver on loopback with a certificate of its own)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.test import override_settings

from casedesk.events import delivery

HOST = "hooks.example.com"


def _certificate(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(HOST), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def tls_receiver(tmp_path: Path) -> Iterator[tuple[int, Path, list[dict[str, str]]]]:
    cert_path, key_path = _certificate(tmp_path)
    got: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            got.append(dict(self.headers.items()))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], cert_path, got
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def resolves_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *a, **k: [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))
        ],
    )


@override_settings(WEBHOOK_ALLOW_PRIVATE=True)
def test_an_untrusted_certificate_is_a_failed_attempt(
    tls_receiver: tuple[int, Path, list[dict[str, str]]], resolves_here: None
) -> None:
    port, _cert, got = tls_receiver

    answer = delivery.post(f"https://{HOST}:{port}/hook", b"{}", {}, timeout=5)

    assert answer.status is None and "CERTIFICATE_VERIFY_FAILED" in answer.error
    assert got == []


@override_settings(WEBHOOK_ALLOW_PRIVATE=True)
def test_a_trusted_certificate_for_the_host_name_is_delivered_to(
    tls_receiver: tuple[int, Path, list[dict[str, str]]],
    resolves_here: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port, cert, got = tls_receiver
    trusting = ssl.create_default_context(cafile=str(cert))
    monkeypatch.setattr(ssl, "create_default_context", lambda *a, **k: trusting)

    answer = delivery.post(f"https://{HOST}:{port}/hook", b"{}", {"X-Test": "1"}, timeout=5)

    assert answer.status == 204 and answer.ok
    assert got[0]["Host"] == f"{HOST}:{port}" and got[0]["X-Test"] == "1"
