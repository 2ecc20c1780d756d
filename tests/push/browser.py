"""What a browser holds for one push subscription: an ECDH P-256 key pair and an auth secret
(RFC 8291), made fresh by the test, and the JSON `PushSubscription.toJSON()` gives the page."""

import base64
import os
import uuid
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class BrowserSubscription:
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth_secret: bytes = field(default_factory=lambda: os.urandom(16))

    @classmethod
    def at(cls, origin: str) -> "BrowserSubscription":
        """A new subscription whose endpoint is a fresh path under `origin`."""
        return cls(endpoint=f"{origin.rstrip('/')}/push/{uuid.uuid4().hex}")

    @property
    def public_key(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)

    @property
    def token(self) -> str:
        """The last path segment: how the stand-in tells subscriptions apart."""
        return self.endpoint.rstrip("/").rsplit("/", 1)[-1]

    def to_json(self) -> dict:
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": b64url(self.public_key), "auth": b64url(self.auth_secret)}}
