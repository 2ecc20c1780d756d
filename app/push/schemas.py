import base64
import binascii
import uuid
from datetime import datetime
from typing import Annotated

from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def b64url_decode(value: str) -> bytes:
    """Base64url with or without padding (browsers leave it out); standard base64 refused."""
    if not value or any(ch in value for ch in "+/ \n"):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64url") from None


def _p256_point(value: str) -> str:
    raw = b64url_decode(value)
    if len(raw) != 65 or raw[0] != 0x04:
        raise ValueError("must be an uncompressed P-256 point (65 bytes starting 0x04)")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        raise ValueError("is not a point on the P-256 curve") from None
    return value.rstrip("=")


def _auth_secret(value: str) -> str:
    if len(b64url_decode(value)) != 16:
        raise ValueError("must be a 16-byte secret")
    return value.rstrip("=")


P256dh = Annotated[str, Field(max_length=100), AfterValidator(_p256_point)]
AuthSecret = Annotated[str, Field(max_length=40), AfterValidator(_auth_secret)]


class PushKeyRead(BaseModel):
    public_key: str = Field(description="base64url of the server's uncompressed P-256 VAPID key: "
                                        "the browser's `applicationServerKey`.")


class SubscriptionKeys(BaseModel):
    model_config = ConfigDict(extra="forbid")

    p256dh: P256dh
    auth: AuthSecret


class SubscriptionCreate(BaseModel):
    """The browser's `PushSubscription.toJSON()` (its `expirationTime` is ignored)."""

    model_config = ConfigDict(extra="ignore")

    endpoint: str = Field(min_length=1, max_length=2048)
    keys: SubscriptionKeys


class SubscriptionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    endpoint: str
    created_at: datetime
