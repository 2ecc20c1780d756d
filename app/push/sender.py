"""One push request (RFC 8030), encrypted with pywebpush (RFC 8291 aes128gcm) and signed with
the server's VAPID key (RFC 8292), sent with an async HTTP client that follows no redirect.

The client is aiohttp's (already there for pywebpush and twilio): with 200 pushes in flight
httpx's connection pool spent about 4 ms of the event loop's time on each request, scanning
and polling every pooled connection, against about 0.1 ms here.
"""

import asyncio
import importlib
import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.config import Settings
from app.push import origins
from app.push.vapid import VapidKey, vapid_key

if TYPE_CHECKING:
    import aiohttp

CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 5.0
TOTAL_TIMEOUT_S = 15.0  # waiting for a connection, connecting, sending and reading together
MAX_CONNECTIONS = 100

ACCEPTED, GONE, RETRY, FAILED, EXPIRED = "accepted", "gone", "retry", "failed", "expired"


@dataclass(frozen=True)
class Push:
    """What one request needs: where, the subscription's keys, and what to say."""

    endpoint: str
    p256dh: str
    auth: str
    payload: str
    ttl_s: int
    topic: str | None


@dataclass(frozen=True)
class PushOutcome:
    result: str  # accepted | gone | retry | failed
    http_status: int | None = None
    reason: str | None = None  # why it failed, never the endpoint or a response body


def classify(status: int) -> PushOutcome:
    """201/202 accepted; 404/410 the subscription is gone; 429 and 5xx worth another try;
    a redirect is never followed (it could lead anywhere); any other answer is final."""
    if status in (201, 202):
        return PushOutcome(ACCEPTED, status)
    if status in (404, 410):
        return PushOutcome(GONE, status)
    if status == 429 or status >= 500:
        return PushOutcome(RETRY, status)
    if 300 <= status < 400:
        return PushOutcome(FAILED, status, "redirect_refused")
    return PushOutcome(FAILED, status, "refused" if status >= 400 else "unexpected_status")


def _web_pusher() -> type:
    # pywebpush imports aiohttp and requests (a second or more on a busy machine): loaded in a
    # worker thread after start-up rather than before the server answers.
    return importlib.import_module("pywebpush").WebPusher


def encrypt(push: Push) -> bytes:
    """The aes128gcm body for the subscription's keys (CPU work: run it off the event loop)."""
    pusher = _web_pusher()({"endpoint": push.endpoint,
                        "keys": {"p256dh": push.p256dh, "auth": push.auth}})
    return pusher.encode(push.payload.encode(), content_encoding="aes128gcm")["body"]


def _client_parts() -> tuple[Any, ssl.SSLContext, Any]:
    """aiohttp (imported like pywebpush, off the event loop after start-up), the TLS context with
    the CA bundle httpx uses (certifi's), and yarl's URL."""
    certifi = importlib.import_module("certifi")
    return (importlib.import_module("aiohttp"), ssl.create_default_context(cafile=certifi.where()),
            importlib.import_module("yarl").URL)


class PushSender:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.vapid: VapidKey = vapid_key(settings)
        self._client: aiohttp.ClientSession | None = None
        self._errors: tuple[type[BaseException], ...] = (TimeoutError, OSError)
        self._url: Any = None

    async def warm_up(self) -> None:
        await asyncio.to_thread(_web_pusher)
        await self.client()

    async def client(self) -> "aiohttp.ClientSession":
        """The one HTTP client, made on first use; it never follows a redirect (each request
        says so) and takes proxies from the environment as httpx did."""
        if self._client is None:
            module, tls, self._url = await asyncio.to_thread(_client_parts)
            if self._client is None:  # not made by another caller meanwhile
                self._client = module.ClientSession(
                    connector=module.TCPConnector(limit=MAX_CONNECTIONS, ssl=tls),
                    timeout=module.ClientTimeout(total=TOTAL_TIMEOUT_S,
                                                 sock_connect=CONNECT_TIMEOUT_S,
                                                 sock_read=READ_TIMEOUT_S),
                    trust_env=True, auto_decompress=False)
                self._errors = (module.ClientError, TimeoutError, OSError)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()

    def allowed(self, endpoint: str) -> bool:
        """Checked again at send time: TRYGG_PUSH_ENDPOINTS may have changed since."""
        return origins.is_allowed(endpoint, self.settings.push_endpoints)

    def headers(self, push: Push) -> dict[str, str]:
        headers = {
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(max(0, push.ttl_s)),
            "Urgency": "high",
            "Authorization": self.vapid.authorization(origins.origin_of(push.endpoint)),
        }
        if push.topic:
            headers["Topic"] = push.topic
        return headers

    async def send(self, push: Push, body: bytes) -> PushOutcome:
        """POST one encrypted push; never to an origin that is not allowed now."""
        if not self.allowed(push.endpoint):
            return PushOutcome(FAILED, None, "endpoint_not_allowed")
        try:
            headers = self.headers(push)
        except Exception:  # e.g. an origin py_vapid will not put in `aud` (an IPv6 literal)
            return PushOutcome(FAILED, None, "vapid_signing_failed")
        client = await self.client()
        try:
            # encoded: the URL goes out as checked, not re-quoted
            async with client.post(self._url(push.endpoint, encoded=True), data=body, headers=headers,
                                   allow_redirects=False) as response:
                await response.read()  # so the connection goes back to the pool
                status = response.status
        except self._errors as exc:  # refused, reset, timed out: worth another try
            return PushOutcome(RETRY, None, type(exc).__name__)
        return classify(status)

    async def encrypt_all(self, pushes: list[Push]) -> list[bytes | None]:
        """Encrypt a batch in one worker thread; None for a push whose keys do not work."""
        def work() -> list[bytes | None]:
            bodies: list[bytes | None] = []
            for push in pushes:
                try:
                    bodies.append(encrypt(push))
                except Exception:  # a stored key that no longer decodes: fail that push only
                    bodies.append(None)
            return bodies

        return await asyncio.to_thread(work)
