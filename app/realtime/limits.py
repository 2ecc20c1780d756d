"""What one client may ask of the server: how often it may resume, and `received` receipts
written once per alarm and user however often they are sent.

A `resume` within `RESUME_INTERVAL_S` of the connection's previous one is refused with an
error frame `too_many_resumes` and changes nothing (the client keeps receiving live events; a
client that lost frames reconnects, and a new connection may resume at once).
"""

import uuid
from collections import OrderedDict

RESUME_INTERVAL_S = 5.0
MAX_FRAME_BYTES = 64 * 1024  # enforced by the WebSocket protocol (close 1009), see app.cli
RECEIPTS_KEPT = 100_000
INVISIBLE_KEPT = 64  # per connection


class Receipts:
    """(alarm, user) pairs whose `received` is already stored or being stored in this process."""

    def __init__(self) -> None:
        self._done: OrderedDict[tuple[uuid.UUID, uuid.UUID], None] = OrderedDict()
        self._busy: set[tuple[uuid.UUID, uuid.UUID]] = set()

    def claim(self, alarm_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        """True when the caller should store this receipt; False when it is a repeat."""
        key = (alarm_id, user_id)
        if key in self._done or key in self._busy:
            return False
        self._busy.add(key)
        return True

    def release(self, alarm_id: uuid.UUID, user_id: uuid.UUID, *, stored: bool) -> None:
        key = (alarm_id, user_id)
        self._busy.discard(key)
        if stored:
            self._done[key] = None
            if len(self._done) > RECEIPTS_KEPT:
                self._done.popitem(last=False)
