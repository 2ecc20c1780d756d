"""Sending through Twilio's REST API with the `twilio` library, off the event loop."""

import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit

from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from app.config import Settings

TWILIO_API = "https://api.twilio.com"


class _BaseUrlHttpClient(TwilioHttpClient):
    """Sends what the library addresses to api.twilio.com to TRYGG_TWILIO_BASE_URL."""

    def __init__(self, base_url: str) -> None:
        super().__init__(timeout=10)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):  # type: ignore[no-untyped-def]
        parts = urlsplit(url)
        query = f"?{parts.query}" if parts.query else ""
        return super().request(method, f"{self.base_url}{parts.path}{query}", *args, **kwargs)


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: accepted (with a sid), retry later, or final failure."""

    ok: bool
    retry: bool = False
    sid: str | None = None
    status: str | None = None
    http_status: int | None = None
    error_code: str | None = None
    message: str | None = None


def _classify(exc: Exception) -> Outcome:
    if isinstance(exc, TwilioRestException):
        retry = exc.status == 429 or exc.status >= 500
        return Outcome(ok=False, retry=retry, http_status=exc.status,
                       error_code=str(exc.code) if exc.code else None, message=str(exc.msg)[:300])
    # Network errors (connection refused, timeouts): worth another try.
    return Outcome(ok=False, retry=True, message=f"{type(exc).__name__}: {exc}"[:300])


class TwilioSender:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        http_client = (None if settings.twilio_base_url.rstrip("/") == TWILIO_API
                       else _BaseUrlHttpClient(settings.twilio_base_url))
        self.client = Client(settings.twilio_account_sid, settings.twilio_auth_token,
                             http_client=http_client)

    @property
    def status_callback(self) -> str:
        return self.settings.public_url.rstrip("/") + "/api/v1/twilio/status"

    def _send_sms(self, to: str, body: str, validity_s: int) -> Outcome:
        try:
            message = self.client.messages.create(
                to=to, from_=self.settings.twilio_from, body=body,
                validity_period=validity_s, status_callback=self.status_callback,
            )
        except Exception as exc:  # classified: retry or final, recorded as an event
            return _classify(exc)
        return Outcome(ok=True, sid=message.sid, status=message.status)

    def _call(self, to: str, twiml: str) -> Outcome:
        try:
            call = self.client.calls.create(
                to=to, from_=self.settings.twilio_from, twiml=twiml,
                status_callback=self.status_callback,
                status_callback_event=["initiated", "ringing", "answered", "completed"],
                timeout=30,
            )
        except Exception as exc:
            return _classify(exc)
        return Outcome(ok=True, sid=call.sid, status=call.status)

    async def send_sms(self, to: str, body: str, validity_s: int) -> Outcome:
        return await asyncio.to_thread(self._send_sms, to, body, validity_s)

    async def call(self, to: str, twiml: str) -> Outcome:
        return await asyncio.to_thread(self._call, to, twiml)
