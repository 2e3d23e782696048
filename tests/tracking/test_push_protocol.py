"""Web Push end to end, offline: a fake push service on 127.0.0.1 receives what the portal
sends, and the test decrypts it with the browser's private key, as a browser would."""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from io import StringIO
from typing import Any

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.core.management import call_command
from django.test import override_settings

from tracking.push import PushFailed, PushNotConfigured, PushTarget, generate_vapid_keys, send_push

PUBLIC, PRIVATE = generate_vapid_keys()
VAPID = {"VAPID_PUBLIC_KEY": PUBLIC, "VAPID_PRIVATE_KEY": PRIVATE}


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class FakePushService:
    """Answers every POST with `status` and keeps what it was sent."""

    status: int = 201
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    port: int = 0


@pytest.fixture
def push_service() -> Iterator[FakePushService]:
    service = FakePushService()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            service.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(service.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    service.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield service
    server.shutdown()
    server.server_close()


@dataclass
class Browser:
    """The keys a browser makes when it subscribes."""

    key: ec.EllipticCurvePrivateKey
    auth: bytes

    def target(self, endpoint: str) -> PushTarget:
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return PushTarget(endpoint=endpoint, p256dh=_b64(point), auth=_b64(self.auth))

    def decrypt(self, body: bytes) -> dict[str, Any]:
        plain = http_ece.decrypt(
            body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
        )
        decoded: dict[str, Any] = json.loads(plain)
        return decoded


@pytest.fixture
def browser() -> Browser:
    return Browser(key=ec.generate_private_key(ec.SECP256R1()), auth=os.urandom(16))


def _vapid_claims(authorization: str) -> dict[str, Any]:
    """Check the VAPID signature against the site's public key; return the claims."""
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid"
    values = dict(part.strip().split("=", 1) for part in params.split(","))
    assert values["k"] == PUBLIC
    header, claims, signature = values["t"].split(".")
    raw = _unb64(signature)
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(PUBLIC))
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(der, f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    parsed: dict[str, Any] = json.loads(_unb64(claims))
    return parsed


@override_settings(**VAPID, VAPID_SUBJECT="mailto:care@example.org")
def test_the_browser_can_read_the_message_and_the_service_can_check_who_sent_it(
    push_service: FakePushService, browser: Browser
) -> None:
    endpoint = f"http://127.0.0.1:{push_service.port}/push/abc"

    delivered = send_push(
        browser.target(endpoint), {"title": "Time for a dose"}, ttl=900, urgency="high"
    )

    assert delivered
    [(headers, body)] = push_service.received
    assert browser.decrypt(body) == {"title": "Time for a dose"}
    assert headers["ttl"] == "900"
    assert headers["urgency"] == "high"
    assert headers["content-encoding"] == "aes128gcm"
    claims = _vapid_claims(headers["authorization"])
    assert claims["aud"] == f"http://127.0.0.1:{push_service.port}"
    assert claims["sub"] == "mailto:care@example.org"
    # Encrypted: the push service never sees the words.
    assert b"dose" not in body


@override_settings(**VAPID)
def test_a_message_for_another_browser_cannot_be_read(
    push_service: FakePushService, browser: Browser
) -> None:
    send_push(browser.target(f"http://127.0.0.1:{push_service.port}/x"), {"a": 1}, ttl=60)
    stranger = Browser(key=ec.generate_private_key(ec.SECP256R1()), auth=browser.auth)

    with pytest.raises(http_ece.ECEException, match="Decryption error"):
        stranger.decrypt(push_service.received[0][1])


@pytest.mark.parametrize("status", [404, 410])
@override_settings(**VAPID)
def test_a_subscription_the_service_calls_gone_is_reported_gone(
    push_service: FakePushService, browser: Browser, status: int
) -> None:
    push_service.status = status
    endpoint = f"http://127.0.0.1:{push_service.port}/gone"

    assert send_push(browser.target(endpoint), {"a": 1}, ttl=60) is False


@override_settings(**VAPID)
def test_a_busy_or_unreachable_service_is_retried_later_and_the_endpoint_not_logged(
    push_service: FakePushService, browser: Browser, caplog: pytest.LogCaptureFixture
) -> None:
    push_service.status = 429
    endpoint = f"http://127.0.0.1:{push_service.port}/secret-endpoint"
    with pytest.raises(PushFailed, match="429"):
        send_push(browser.target(endpoint), {"a": 1}, ttl=60)

    closed = "http://127.0.0.1:1/secret-endpoint"
    with pytest.raises(PushFailed) as failure:
        send_push(browser.target(closed), {"a": 1}, ttl=60)
    assert "secret-endpoint" not in str(failure.value)
    assert "secret-endpoint" not in caplog.text


@override_settings(VAPID_PUBLIC_KEY="", VAPID_PRIVATE_KEY="")
def test_without_keys_nothing_is_sent(push_service: FakePushService, browser: Browser) -> None:
    with pytest.raises(PushNotConfigured):
        send_push(browser.target(f"http://127.0.0.1:{push_service.port}/x"), {"a": 1}, ttl=60)
    assert push_service.received == []


def test_generated_keys_are_a_matching_p256_pair() -> None:
    out = StringIO()
    call_command("generate_vapid_keys", stdout=out)
    lines = dict(line.split("=", 1) for line in out.getvalue().split())
    secret = int.from_bytes(_unb64(lines["VAPID_PRIVATE_KEY"]), "big")
    private = ec.derive_private_key(secret, ec.SECP256R1())
    point = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert _unb64(lines["VAPID_PUBLIC_KEY"]) == point
