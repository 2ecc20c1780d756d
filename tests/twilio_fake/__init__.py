"""A local stand-in for Twilio's REST API (texts and calls), for the test suite.

    with FakeTwilio() as fake:
        client = twilio_client(fake)
        client.messages.create(to="+4791234567", from_="+4790000000", body="Alarm")
        assert fake.wait_for(1)[0].params["Body"] == "Alarm"
        assert fake.violations == []

openapi_subset.json is part of Twilio's OpenAPI description (MIT, see LICENSE-twilio-openapi).
"""

from urllib.parse import urlsplit

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from .server import FakeTwilio, RecordedRequest, StatusCallback
from .spec import Problem, response_errors

__all__ = [
    "FakeTwilio",
    "Problem",
    "RebasedHttpClient",
    "RecordedRequest",
    "StatusCallback",
    "response_errors",
    "twilio_client",
]


class RebasedHttpClient(TwilioHttpClient):
    """Sends what the twilio library addresses to https://api.twilio.com (or a regional or edge
    host) to `base_url` instead, keeping path and query."""

    def __init__(self, base_url: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")
        if self.session is not None:
            self.session.trust_env = False  # a proxy from the environment must not see 127.0.0.1

    def request(self, method: str, url: str, *args, **kwargs):
        parts = urlsplit(url)
        query = f"?{parts.query}" if parts.query else ""
        return super().request(method, f"{self.base_url}{parts.path}{query}", *args, **kwargs)


def twilio_client(
    fake: FakeTwilio, *, account_sid: str | None = None, auth_token: str | None = None
) -> Client:
    """A real twilio Client that talks to `fake`, with its credentials unless others are given."""
    return Client(
        account_sid or fake.account_sid,
        auth_token or fake.auth_token,
        http_client=RebasedHttpClient(fake.base_url),
    )
