"""Web Push: send one encrypted message to one browser (pywebpush, VAPID).

The message is encrypted for the browser that subscribed (RFC 8291, aes128gcm) and
signed with the site's VAPID key (RFC 8292), so the push service can neither read it
nor accept it from anyone else.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from pywebpush import WebPushException, webpush

logger = logging.getLogger(__name__)

Urgency = Literal["very-low", "low", "normal", "high"]
# The push service drops the subscription for good with one of these.
GONE = {404, 410}


class PushNotConfigured(RuntimeError):
    """VAPID keys are not set: the site cannot send push messages."""


class PushFailed(RuntimeError):
    """The push service did not take the message; try again later."""


@dataclass(frozen=True)
class PushTarget:
    """Where one browser receives messages: what its PushSubscription reported."""

    endpoint: str
    p256dh: str
    auth: str

    def as_subscription_info(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


def is_configured() -> bool:
    return bool(settings.VAPID_PRIVATE_KEY and settings.VAPID_PUBLIC_KEY)


def send_push(
    target: PushTarget, payload: dict[str, Any], *, ttl: int, urgency: Urgency = "normal"
) -> bool:
    """Send one message. True when delivered to the push service; False when the
    subscription is gone (the caller removes it). Raises PushFailed to be retried."""
    if not is_configured():
        raise PushNotConfigured("Set VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY to send push")
    try:
        webpush(
            target.as_subscription_info(),
            data=json.dumps(payload, separators=(",", ":")),
            vapid_private_key=settings.VAPID_PRIVATE_KEY,
            vapid_claims={"sub": settings.VAPID_SUBJECT},
            ttl=ttl,
            headers={"Urgency": urgency},
            timeout=settings.PUSH_TIMEOUT_SECONDS,
        )
    except WebPushException as error:
        if error.status_code in GONE:
            return False
        # The endpoint is a capability URL: never log it, only the push service's answer.
        raise PushFailed(f"push service answered {error.status_code}") from None
    except OSError as error:
        raise PushFailed(type(error).__name__) from None
    return True


def generate_vapid_keys() -> tuple[str, str]:
    """A new key pair as the environment takes it: (public, private), base64url, no padding.

    The public key is the uncompressed P-256 point browsers ask for as
    applicationServerKey; the private key is the 32-byte secret scalar.
    """
    private = ec.generate_private_key(ec.SECP256R1())
    secret = private.private_numbers().private_value.to_bytes(32, "big")
    public = private.public_key().public_numbers()
    point = b"\x04" + public.x.to_bytes(32, "big") + public.y.to_bytes(32, "big")
    return _b64url(point), _b64url(secret)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
