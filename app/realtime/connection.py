"""One client connection: who it is, and a bounded queue of frames its sender task drains."""

import asyncio
import uuid
from dataclasses import dataclass, field

from app.alarm.policy import Viewer
from app.realtime.access import Grant

CLOSE_UNAUTHORIZED = 4401
CLOSE_HEARTBEAT_TIMEOUT = 4408
CLOSE_TOO_SLOW = 4429


@dataclass(frozen=True, slots=True)
class Resume:
    after_seq: int


@dataclass(eq=False, slots=True)
class Connection:
    viewer: Viewer
    user_id: uuid.UUID
    office_id: uuid.UUID | None
    is_responder: bool
    receives_office: bool
    device_id: uuid.UUID | None
    queue: asyncio.Queue = field(repr=False)
    token_id: uuid.UUID | None = None
    expiry: asyncio.TimerHandle | None = field(default=None, repr=False)
    sent_seq: int = 0
    close_code: int | None = None
    sender: asyncio.Task | None = field(default=None, repr=False)
    # Live frames wait until the client has spoken (or a moment has passed), so a `resume`
    # sent right after `hello` is answered before any live frame: frames stay in seq order.
    heard: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    early_resume: int | None = None
    resumed_at: float | None = None
    # Alarms this connection asked about and may not see: answered from memory next time.
    invisible: set = field(default_factory=set, repr=False)

    @classmethod
    def for_grant(cls, grant: Grant, maxsize: int) -> "Connection":
        viewer = grant.viewer
        return cls(
            viewer=viewer,
            user_id=viewer.user_id,
            office_id=viewer.office_id,
            is_responder=viewer.has("responder"),
            receives_office=viewer.follows_office,
            device_id=grant.device_id,
            token_id=grant.token_id,
            queue=asyncio.Queue(maxsize=maxsize),
        )

    def offer(self, item: tuple[int, str] | Resume) -> bool:
        """Queue a frame (or a resume) without waiting. False when the client is too slow."""
        if self.close_code is not None:
            return False
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            return False
        return True
