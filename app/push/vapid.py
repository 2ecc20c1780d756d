"""The server's VAPID identity (RFC 8292): its P-256 key and the token each push carries."""

import base64
import time
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from app.config import Settings

KEY_FILE = "vapid_private_key.pem"
TOKEN_LIFETIME_S = 12 * 3600  # a push service refuses exp more than 24 h ahead
TOKEN_REUSE_S = 3600  # sign once per audience an hour, not once per push


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _stored_key(data_dir: Path) -> bytes:
    """The PEM in the data dir, made (mode 0600) on first use."""
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
        tmp.chmod(0o600)
        tmp.replace(path)
    return path.read_bytes()


class VapidKey:
    """Signs `Authorization: vapid t=…, k=…` headers with the server's key."""

    def __init__(self, pem: bytes, subject: str) -> None:
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise ValueError("TRYGG_VAPID_PRIVATE_KEY must be a P-256 (prime256v1) EC key")
        # no-strict: the subject may be TRYGG_PUBLIC_URL, which is plain http in development.
        self._vapid = Vapid02(private_key=key, conf={"no-strict": True})
        self.subject = subject
        self.public_key = _b64url(key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))
        self._tokens: dict[str, tuple[float, str]] = {}

    def authorization(self, audience: str) -> str:
        """The header value for a push to an endpoint of origin `audience`."""
        now = time.time()
        cached = self._tokens.get(audience)
        if cached is None or now - cached[0] > TOKEN_REUSE_S:
            claims = {"aud": audience, "exp": int(now) + TOKEN_LIFETIME_S, "sub": self.subject}
            cached = (now, self._vapid.sign(claims)["Authorization"])
            self._tokens[audience] = cached
        return cached[1]


@lru_cache(maxsize=4)
def _load(pem: bytes, subject: str) -> VapidKey:
    return VapidKey(pem, subject)


def vapid_key(settings: Settings) -> VapidKey:
    """The configured key (TRYGG_VAPID_PRIVATE_KEY) or the one kept in the data dir."""
    if settings.vapid_private_key:
        pem = settings.vapid_private_key.replace("\\n", "\n").strip().encode() + b"\n"
    else:
        pem = _stored_key(settings.data_dir)
    return _load(pem, settings.vapid_subject or settings.public_url)
