"""Writing a frame straight to a connection's socket, skipping the ASGI send machinery.

A server's frames are not masked, so one event's frame is the same bytes for every recipient:
it is serialised once and handed to each socket's transport. This only works under uvicorn's
sans-I/O WebSocket protocol (as `trygg serve` runs); with any other server `find` returns None
and frames go through the ordinary ASGI `send`.
"""

from typing import Any

from websockets.frames import Frame, Opcode
from websockets.protocol import State


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


def frame_bytes(text: str) -> bytes:
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


def write(protocol: Any, data: bytes) -> bool:
    """Write a serialised frame now, if the socket is open and not behind; else False."""
    if (protocol is None or protocol.close_sent or not protocol.writable.is_set()
            or protocol.conn.state is not State.OPEN or protocol.conn.extensions
            or protocol.transport.is_closing()):
        return False
    protocol.transport.write(data)
    return True
