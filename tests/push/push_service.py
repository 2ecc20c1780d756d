"""A local push service (RFC 8030) for the tests: a real HTTP server on 127.0.0.1.

It takes `POST /push/<token>` for the subscriptions a test registered (a browser's key pair and
auth secret, see browser.py), and checks each request as a push service would: the VAPID token
(RFC 8292: `Authorization: vapid t=<JWT>, k=<key>`, an ES256 signature by `k`, `aud` = this
service's origin, `exp` in the future and within 24 hours, a `sub`), the headers (`TTL`,
`Urgency`, `Topic`, `Content-Encoding: aes128gcm`), and decrypts the body (RFC 8291 and RFC
8188, written here from the RFCs with `cryptography`'s primitives, independently of the
library the server uses) with the subscription's own private key. A request that breaks a rule
is answered 400 and kept in `violations`, for a test to assert empty.

It answers 201, or what a test scripts: `answer_next(410)`, `answer_next(503, count=3)`,
`redirect_next(url)` (307).
"""

from __future__ import annotations

import json
import re
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tests.push.browser import BrowserSubscription, b64url_decode

_ROUTE = re.compile(r"^/push/(?P<token>[A-Za-z0-9_-]+)$")
_TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
URGENCIES = {"very-low", "low", "normal", "high"}
MAX_EXP_S = 24 * 3600


class _Server(ThreadingHTTPServer):
    # Room for a round of connections at once: with the default backlog of 5 the rest wait
    # for TCP's one-second retransmission (or are reset).
    request_queue_size = 512
    daemon_threads = True


@dataclass(frozen=True)
class ReceivedPush:
    token: str
    headers: dict[str, str]  # lower-case names
    claims: dict[str, Any]
    vapid_key: str  # the `k` of the Authorization header
    payload: dict[str, Any] | None  # the decrypted JSON
    plaintext_bytes: int
    status: int  # what the stand-in answered
    at: float  # time.time() on arrival

    @property
    def event_type(self) -> str | None:
        return (self.payload or {}).get("event", {}).get("type")


@dataclass
class Script:
    status: int
    count: int
    location: str | None = None


def _hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def decrypt_aes128gcm(body: bytes, browser: BrowserSubscription) -> bytes:
    """RFC 8291 section 3.4 and RFC 8188: the user agent's side of Web Push encryption."""
    if len(body) < 21:
        raise ValueError("body shorter than the aes128gcm header")
    salt, rs, idlen = body[:16], struct.unpack(">I", body[16:20])[0], body[20]
    as_public = body[21:21 + idlen]
    if idlen != 65 or as_public[0] != 4:
        raise ValueError("keyid must be the sender's uncompressed P-256 key (RFC 8291 4)")
    if rs < 18:
        raise ValueError("record size too small")
    ciphertext = body[21 + idlen:]
    sender = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), as_public)
    ecdh_secret = browser.private_key.exchange(ec.ECDH(), sender)
    key_info = b"WebPush: info\x00" + browser.public_key + as_public
    ikm = _hkdf(browser.auth_secret, ecdh_secret, key_info, 32)
    cek = _hkdf(salt, ikm, b"Content-Encoding: aes128gcm\x00", 16)
    nonce = _hkdf(salt, ikm, b"Content-Encoding: nonce\x00", 12)
    records = [ciphertext[i:i + rs] for i in range(0, len(ciphertext), rs)]
    if not records:
        raise ValueError("no records")
    plaintext = b""
    for seq, record in enumerate(records):
        iv = (int.from_bytes(nonce, "big") ^ seq).to_bytes(12, "big")
        padded = AESGCM(cek).decrypt(iv, record, None)
        stripped = padded.rstrip(b"\x00")
        last = seq == len(records) - 1
        if not stripped or stripped[-1] != (2 if last else 1):
            raise ValueError("bad padding delimiter")
        plaintext += stripped[:-1]
    return plaintext


def verify_vapid(header: str, audience: str, now: float) -> tuple[dict[str, Any], str]:
    """Check an RFC 8292 Authorization header; return its claims and key, or raise ValueError."""
    scheme, _, params = header.partition(" ")
    if scheme.lower() != "vapid":
        raise ValueError(f"Authorization scheme is {scheme!r}, not vapid")
    parts = {}
    for item in params.split(","):
        name, _, value = item.strip().partition("=")
        parts[name.strip()] = value.strip()
    if "t" not in parts or "k" not in parts:
        raise ValueError("vapid needs t= and k=")
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(parts["k"]))
    try:
        head_b64, claims_b64, signature_b64 = parts["t"].split(".")
    except ValueError:
        raise ValueError("the token is not a JWS compact serialisation") from None
    head = json.loads(b64url_decode(head_b64))
    if head.get("alg") != "ES256":
        raise ValueError(f"alg is {head.get('alg')!r}, not ES256")
    signature = b64url_decode(signature_b64)
    if len(signature) != 64:
        raise ValueError("an ES256 signature is 64 bytes (r || s)")
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    try:
        key.verify(encode_dss_signature(r, s), f"{head_b64}.{claims_b64}".encode(),
                   ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise ValueError("the token's signature does not verify with k") from None
    claims = json.loads(b64url_decode(claims_b64))
    if claims.get("aud") != audience:
        raise ValueError(f"aud is {claims.get('aud')!r}, not {audience!r}")
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp <= now or exp > now + MAX_EXP_S:
        raise ValueError(f"exp {exp!r} is not within the next 24 hours")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise ValueError("sub is missing")
    return claims, parts["k"]


@dataclass
class FakePushService:
    received: list[ReceivedPush] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)  # every request's path, known or not

    def __post_init__(self) -> None:
        self._subscriptions: dict[str, BrowserSubscription] = {}
        self._scripts: list[Script] = []
        self._lock = threading.Condition()
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # Lifecycle and set-up -------------------------------------------------------------------

    def __enter__(self) -> FakePushService:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def subscription(self) -> BrowserSubscription:
        """A new browser subscription whose endpoint is on this service."""
        browser = BrowserSubscription.at(self.origin)
        with self._lock:
            self._subscriptions[browser.token] = browser
        return browser

    def reset(self) -> None:
        with self._lock:
            self.received.clear()
            self.violations.clear()
            self.paths.clear()
            self._scripts.clear()

    def answer_next(self, status: int, count: int = 1) -> None:
        with self._lock:
            self._scripts.append(Script(status, count))

    def redirect_next(self, location: str, count: int = 1) -> None:
        with self._lock:
            self._scripts.append(Script(307, count, location))

    # Reading what arrived -------------------------------------------------------------------

    def pushes(self, token: str | None = None) -> list[ReceivedPush]:
        with self._lock:
            return [p for p in self.received if token is None or p.token == token]

    def wait_for(self, count: int, *, token: str | None = None, timeout: float = 10,
                 accepted_only: bool = False) -> list[ReceivedPush]:
        """Block until `count` pushes (to `token`, if given) arrived; fail after `timeout`."""
        def matching() -> list[ReceivedPush]:
            return [p for p in self.received if (token is None or p.token == token)
                    and (not accepted_only or p.status == 201)]

        with self._lock:
            if not self._lock.wait_for(lambda: len(matching()) >= count, timeout):
                raise AssertionError(f"{len(matching())} of {count} pushes arrived in {timeout} s"
                                     f"; violations: {self.violations}")
            return matching()

    # The HTTP side --------------------------------------------------------------------------

    def _next_answer(self) -> Script:
        with self._lock:
            if self._scripts:
                script = self._scripts[0]
                script.count -= 1
                if script.count <= 0:
                    self._scripts.pop(0)
                return script
        return Script(201, 1)

    def _take(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict]:
        now = time.time()
        match = _ROUTE.match(path)
        with self._lock:
            self.paths.append(path)
            browser = self._subscriptions.get(match["token"]) if match else None
        if browser is None:
            return 404, {}
        problems = []
        if headers.get("content-encoding") != "aes128gcm":
            problems.append(f"Content-Encoding is {headers.get('content-encoding')!r}")
        ttl = headers.get("ttl", "")
        if not ttl.isdigit():
            problems.append(f"TTL {ttl!r} is not a number of seconds")
        if headers.get("urgency", "normal") not in URGENCIES:
            problems.append(f"Urgency {headers.get('urgency')!r}")
        if "topic" in headers and not _TOPIC.match(headers["topic"]):
            problems.append(f"Topic {headers['topic']!r} is not 1-32 base64url characters")
        claims: dict[str, Any] = {}
        key = ""
        try:
            claims, key = verify_vapid(headers.get("authorization", ""), self.origin, now)
        except (ValueError, json.JSONDecodeError) as exc:
            problems.append(f"VAPID: {exc}")
        payload, size = None, 0
        try:
            plaintext = decrypt_aes128gcm(body, browser)
            size = len(plaintext)
            payload = json.loads(plaintext)
        except (ValueError, InvalidTag, json.JSONDecodeError) as exc:
            problems.append(f"body: {type(exc).__name__}: {exc}")
        if problems:
            status, location = 400, None
        else:
            script = self._next_answer()
            status, location = script.status, script.location
        with self._lock:
            self.violations.extend(problems)
            self.received.append(ReceivedPush(match["token"], headers, claims, key, payload,
                                              size, status, now))
            self._lock.notify_all()
        return status, ({"Location": location} if location else {})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, extra = service._take(self.path, headers, body)
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                if status in (201, 202):
                    self.send_header("Location", f"{service.origin}/message/{time.time_ns()}")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
