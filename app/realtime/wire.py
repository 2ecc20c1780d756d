"""The socket a connection writes to, and frames serialised once for every recipient.

A server's frames are not masked, so one event's frame is the same bytes for every recipient:
it is serialised once and handed to each socket. Trygg's own WebSocket protocol
(`app.realtime.server`) is such a socket; under another server the ASGI adapter
(`app.realtime.router`) writes straight to uvicorn's sans-I/O protocol when it finds one, and
otherwise goes through the ordinary ASGI `send`.
"""

from typing import Any, Protocol

from websockets.frames import Frame, Opcode
from websockets.protocol import State


class Socket(Protocol):
    def write(self, data: bytes) -> bool:
        """Write a serialised frame now, if the socket is open and not behind; else False."""

    async def send_text(self, text: str) -> None:
        """Send a text frame once the socket can take it; raises if it is closed."""

    def close(self, code: int, reason: str = "") -> None:
        """Start the closing handshake (nothing more is sent after it)."""


def frame_bytes(text: str) -> bytes:
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


def find(send: Any) -> Any | None:
    """uvicorn's protocol object behind an ASGI `send` (however many wrappers deep), or None."""
    for _ in range(12):
        owner = getattr(send, "__self__", None)
        if owner is not None:
            if all(hasattr(owner, name) for name in ("transport", "conn", "writable",
                                                     "close_sent")):
                return owner
            return None
        code, cells = getattr(send, "__code__", None), getattr(send, "__closure__", None)
        if code is None or not cells or "send" not in code.co_freevars:
            return None
        send = cells[code.co_freevars.index("send")].cell_contents
    return None


def write(protocol: Any, data: bytes) -> bool:
    """Write to uvicorn's sans-I/O protocol now, if it is open and not behind; else False."""
    if (protocol is None or protocol.close_sent or not protocol.writable.is_set()
            or protocol.conn.state is not State.OPEN or protocol.conn.extensions
            or protocol.transport.is_closing()):
        return False
    protocol.transport.write(data)
    return True
