"""One push request (RFC 8030), encrypted with pywebpush (RFC 8291 aes128gcm) and signed with
the server's VAPID key (RFC 8292), sent with an async HTTP client that follows no redirect."""

import asyncio
import importlib
from dataclasses import dataclass

import httpx

from app.config import Settings
from app.push import origins
from app.push.vapid import VapidKey, vapid_key

CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 5.0
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


class PushSender:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.vapid: VapidKey = vapid_key(settings)
        self.client = httpx.AsyncClient(
            follow_redirects=False,
            timeout=httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
            limits=httpx.Limits(max_connections=MAX_CONNECTIONS),
        )

    async def warm_up(self) -> None:
        await asyncio.to_thread(_web_pusher)

    async def aclose(self) -> None:
        await self.client.aclose()

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
        try:
            response = await self.client.post(push.endpoint, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return PushOutcome(RETRY, None, type(exc).__name__)
        return classify(response.status_code)

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
