"""ASGI middleware: a hard limit on request body size (413 in the contract's error shape), and
the security headers of every response."""

import json
from typing import Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await _too_large(send, self.max_bytes)
            return
        # Read the (small) body up front, so an over-long chunked body is refused before the
        # application sees any of it.
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message]), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _too_large(send, self.max_bytes)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        await self.app(scope, _replay([{"type": "http.request", "body": body,
                                        "more_body": False}], receive), send)


def _replay(messages: list[Message], then: Receive | None = None) -> Receive:
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive


async def _too_large(send: Send, limit: int) -> None:
    body: dict[str, Any] = {"error": "payload_too_large",
                            "detail": f"request body larger than {limit} bytes"}
    raw = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(raw)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": raw})


class SecurityHeaders:
    """The same security headers on every HTTP response: pages, API answers, static files,
    errors and 404s. The CSP names the server by TRYGG_PUBLIC_URL, never by the request's
    Host header (which the client chooses); HSTS is sent when that URL is https."""

    def __init__(self, app: ASGIApp, *, public_url: str, api_prefix: str = "/api/") -> None:
        self.app = app
        self.api_prefix = api_prefix
        parts = urlsplit(public_url)
        secure = parts.scheme == "https"
        origin = f"{parts.scheme}://{parts.netloc}"
        socket = f"{'wss' if secure else 'ws'}://{parts.netloc}"
        common = {
            b"x-content-type-options": b"nosniff",
            b"referrer-policy": b"no-referrer",
            b"x-frame-options": b"DENY",
            b"permissions-policy": b"geolocation=(self), camera=(), microphone=()",
        }
        if secure:
            common[b"strict-transport-security"] = b"max-age=31536000"
        self.common = common
        self.page_csp = "; ".join((
            "default-src 'self'", "script-src 'self'", "style-src 'self'",
            "img-src 'self' data:", f"connect-src 'self' {origin} {socket}",
            "manifest-src 'self'", "worker-src 'self'", "object-src 'none'",
            "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
        )).encode()
        # The interactive API docs (when switched on) load Swagger UI from its CDN with an
        # inline bootstrap script.
        self.docs_csp = "; ".join((
            "default-src 'self'", "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
            "img-src 'self' data: https://fastapi.tiangolo.com", f"connect-src 'self' {origin}",
            "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
        )).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        api = path.startswith(self.api_prefix)
        docs = path.startswith(("/docs", "/redoc"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                own = {b"content-security-policy", b"cache-control", *self.common}
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in own
                           or (k.lower() == b"cache-control" and not api)]
                headers += list(self.common.items())
                headers.append((b"content-security-policy",
                                self.docs_csp if docs else self.page_csp))
                if api:
                    headers.append((b"cache-control", b"no-store"))
                elif not any(k.lower() == b"cache-control" for k, _ in headers):
                    headers.append((b"cache-control", b"no-cache"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
