"""A local HTTP server that answers like Twilio's REST API for sending texts and placing calls.

It serves POST /2010-04-01/Accounts/{AccountSid}/Messages.json and .../Calls.json on 127.0.0.1,
checks Basic auth and each request against Twilio's OpenAPI description (spec.py), and answers
201 with a resource shaped like Twilio's, or Twilio's error body. It is stricter than Twilio where
Twilio silently accepts a request that is always a bug in the sender: an unknown parameter (Twilio
would ignore a misspelt `ValidityPeriod` and keep a stale alarm text queued for up to ten hours),
or Url and Twiml together. Every refused request is kept in `violations`, for a test to assert
empty.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from twilio.request_validator import RequestValidator

from .spec import (
    API_VERSION,
    BAD_REQUEST,
    Kind,
    Problem,
    check_request,
    enum_of,
    error_body,
    new_resource,
)

_ROUTE = re.compile(r"/2010-04-01/Accounts/(?P<account>[^/]+)/(?P<resource>Messages|Calls)\.json")
_KINDS: dict[str, Kind] = {"Messages": "sms", "Calls": "call"}
_DEFAULT_CODES = {401: 20003, 403: 20403, 404: 20404, 429: 20429, 500: 20500, 503: 20503}


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received, and what it answered."""

    method: str
    path: str
    kind: Kind | None  # None: not a path the fake serves
    params: dict[str, Any]  # form parameters; a list where given more than once or an array
    at: datetime
    status: int
    body: dict[str, Any]
    problems: tuple[Problem, ...] = ()  # why it was refused as invalid; empty otherwise

    @property
    def sid(self) -> str | None:
        return self.body.get("sid") if self.status == HTTPStatus.CREATED else None


@dataclass(frozen=True)
class StatusCallback:
    """A status callback as Twilio would POST it (form-encoded), signed with the auth token."""

    url: str
    params: dict[str, str]
    headers: dict[str, str]


@dataclass(frozen=True)
class _Scripted:
    status: int
    code: int
    message: str
    kind: Kind | None
    retry_after: int | None


@dataclass(frozen=True)
class _Answer:
    status: int
    body: dict[str, Any]
    params: dict[str, Any] | None = None  # None: the form as given, unchecked
    problems: tuple[Problem, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)


class FakeTwilio:
    """Twilio's Messages and Calls API on 127.0.0.1, in a background thread.

    Use as a context manager, or call start() and stop(). Credentials default to random ones.
    """

    def __init__(
        self, account_sid: str | None = None, auth_token: str | None = None, *, port: int = 0
    ) -> None:
        self.account_sid = account_sid or "AC" + secrets.token_hex(16)
        if not re.fullmatch(r"AC[0-9a-fA-F]{32}", self.account_sid):
            raise ValueError(f"not an account sid: {self.account_sid!r}")
        self.auth_token = auth_token or secrets.token_hex(16)
        self._port = port  # kept after the first start, so a restart serves the same base_url
        self._lock = threading.Condition()
        self._requests: list[RecordedRequest] = []
        self._script: list[_Scripted] = []
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # Lifecycle

    def start(self) -> FakeTwilio:
        if self._server is None:
            server = _Server(("127.0.0.1", self._port), _Handler)
            server.fake = self
            self._port = server.server_address[1]
            self._server = server
            self._thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"fake-twilio-{self._port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and cut open connections, so a pooled keep-alive connection in the
        client under test fails as it would against an unreachable Twilio."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self._lock:
            server.closing = True
            open_connections = list(self._connections)
        for connection in open_connections:
            _cut(connection)
        assert self._thread is not None
        self._thread.join()

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeTwilio is not running; call start() first")
        return f"http://127.0.0.1:{self._port}"

    # Scripting

    def fail_next(
        self,
        status: int,
        *,
        count: int = 1,
        code: int | None = None,
        message: str | None = None,
        kind: Kind | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next `count` valid requests (of `kind`, or any) with this Twilio error
        instead of creating the resource. Invalid requests are refused first and use up none."""
        if not 400 <= status <= 599:
            raise ValueError(f"not an error status: {status}")
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        entry = _Scripted(
            status, code or _DEFAULT_CODES.get(status, status), message or phrase, kind, retry_after
        )
        with self._lock:
            self._script.extend([entry] * count)

    def reset(self) -> None:
        """Forget every recorded request and every scripted failure not yet used."""
        with self._lock:
            self._requests.clear()
            self._script.clear()

    # What was received

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request, in arrival order: accepted, refused, failed on purpose, unauthorized."""
        with self._lock:
            return list(self._requests)

    @property
    def messages(self) -> list[RecordedRequest]:
        """Texts accepted (201), in arrival order."""
        return self._accepted("sms")

    @property
    def calls(self) -> list[RecordedRequest]:
        """Calls accepted (201), in arrival order."""
        return self._accepted("call")

    @property
    def violations(self) -> list[RecordedRequest]:
        """Requests refused because they break Twilio's API description or reach a path the
        fake does not serve. Wrong credentials are not violations (tests provoke them)."""
        with self._lock:
            return [r for r in self._requests if r.problems]

    def wait_for(
        self, n: int, *, kind: Kind | None = "sms", timeout: float = 10.0
    ) -> list[RecordedRequest]:
        """Block until at least `n` texts (or calls, or either with kind=None) were accepted;
        return all accepted so far. Raise AssertionError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(found := self._accepted(kind)) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(r.method, r.path, r.status, r.problems) for r in self._requests]
                    raise AssertionError(
                        f"waited {timeout} s for {n} accepted {kind or 'request'}(s), "
                        f"got {len(found)}; all requests: {seen}"
                    )
                self._lock.wait(left)
            return found

    # Status callbacks

    def sign(self, url: str, params: dict[str, str]) -> str:
        """X-Twilio-Signature for a POST of these form params to this exact URL."""
        return RequestValidator(self.auth_token).compute_signature(url, params)

    def status_callback(
        self,
        record: RecordedRequest,
        status: str,
        *,
        error_code: int | None = None,
        url: str | None = None,
    ) -> StatusCallback:
        """The callback Twilio would send about an accepted text or call: to its StatusCallback
        (or `url`), with Twilio's parameters and a valid signature."""
        if record.sid is None or record.kind is None:
            raise ValueError("only an accepted text or call has status callbacks")
        target = url or record.params.get("StatusCallback")
        if not target:
            raise ValueError(f"{record.sid} was sent without a StatusCallback")
        statuses = enum_of("message_enum_status" if record.kind == "sms" else "call_enum_status")
        if status not in statuses:
            raise ValueError(f"{status!r} is not one of Twilio's statuses: {statuses}")
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "From": record.body["from"] or "",
            "To": record.body["to"],
        }
        if record.kind == "sms":
            params |= {
                "MessageSid": record.sid,
                "SmsSid": record.sid,
                "MessageStatus": status,
                "SmsStatus": status,
            }
        else:
            params |= {"CallSid": record.sid, "CallStatus": status, "Direction": "outbound-api"}
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": self.sign(target, params),
        }
        return StatusCallback(target, params, headers)

    # Serving (called on the server's threads)

    def _accepted(self, kind: Kind | None) -> list[RecordedRequest]:
        with self._lock:
            return [
                r
                for r in self._requests
                if r.status == HTTPStatus.CREATED and (kind is None or r.kind == kind)
            ]

    def _track(self, connection: socket.socket, server: _Server) -> None:
        with self._lock:
            if server.closing:
                _cut(connection)
            self._connections.add(connection)

    def _untrack(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)

    def _answer(self, method: str, target: str, headers: Any, body: bytes) -> _Answer:
        """Decide the answer to a request and record both."""
        path, _, query = target.partition("?")
        route = _ROUTE.fullmatch(path)
        kind = _KINDS[route["resource"]] if route else None
        try:
            form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            form = {}
        if not self._authorized(headers.get("Authorization")):
            answer = _Answer(
                401,
                error_body(401, 20003, "Authenticate"),
                headers={"WWW-Authenticate": 'Basic realm="Twilio API"'},
            )
        elif route is None or method != "POST" or route["account"] != self.account_sid:
            problem = Problem(20404, f"The requested resource {path} was not found")
            answer = _Answer(
                404, error_body(404, problem.code, problem.message), problems=(problem,)
            )
        else:
            assert kind is not None
            answer = self._create(kind, headers.get("Content-Type", ""), query, form)
        params = answer.params
        if params is None:
            params = {k: v[0] if len(v) == 1 else v for k, v in form.items()}
        record = RecordedRequest(
            method,
            path,
            kind,
            params,
            datetime.now(UTC),
            answer.status,
            answer.body,
            answer.problems,
        )
        with self._lock:
            self._requests.append(record)
            self._lock.notify_all()
        return answer

    def _create(
        self, kind: Kind, content_type: str, query: str, form: dict[str, list[str]]
    ) -> _Answer:
        problems = []
        if content_type.partition(";")[0].strip() != "application/x-www-form-urlencoded":
            problems.append(Problem(BAD_REQUEST, f"Content-Type {content_type!r} is not a form"))
        if query:
            problems.append(Problem(BAD_REQUEST, "Parameters in the query string are ignored."))
        params, invalid = check_request(kind, form)
        problems += invalid
        if problems:
            body = error_body(400, problems[0].code, problems[0].message)
            return _Answer(400, body, params, tuple(problems))
        scripted = self._take_scripted(kind)
        if scripted is not None:
            headers = {"Retry-After": str(scripted.retry_after)} if scripted.retry_after else {}
            body = error_body(scripted.status, scripted.code, scripted.message)
            return _Answer(scripted.status, body, params, headers=headers)
        return _Answer(201, new_resource(kind, self.account_sid, params), params)

    def _authorized(self, header: str | None) -> bool:
        scheme, _, credentials = (header or "").partition(" ")
        if scheme != "Basic":
            return False
        try:
            user, _, password = base64.b64decode(credentials, validate=True).partition(b":")
        except binascii.Error:
            return False
        return hmac.compare_digest(user, self.account_sid.encode()) and hmac.compare_digest(
            password, self.auth_token.encode()
        )

    def _take_scripted(self, kind: Kind) -> _Scripted | None:
        with self._lock:
            for i, entry in enumerate(self._script):
                if entry.kind in (None, kind):
                    return self._script.pop(i)
        return None


def _cut(connection: socket.socket) -> None:
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeTwilio
    closing = False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Twilio serves the pooled client sessions
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.fake._track(self.connection, self.server)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.fake._untrack(self.connection)

    def _dispatch(self) -> None:
        if self.headers.get("Transfer-Encoding"):
            body = b""  # not sent by the twilio library; answered as a body-less request
            self.close_connection = True
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        answer = self.server.fake._answer(self.command, self.path, self.headers, body)
        data = json.dumps(answer.body).encode()
        self.send_response(answer.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reads `requests` instead."""
