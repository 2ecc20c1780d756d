"""Server-to-client frames, encoded once and shared by every recipient."""

import json
from typing import Any


def encode(frame: dict[str, Any]) -> str:
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


def event_frame(record: dict[str, Any]) -> str:
    frame = {"type": "event", "seq": record["seq"], "event": record["event"],
             "alarm": record["alarm"]}
    if "visit" in record:  # a home visit's event: "alarm" is null
        frame["visit"] = record["visit"]
    return encode(frame)


def readiness_frame(office_id: str, online: int, minimum: int) -> str:
    return encode({"type": "readiness", "office_id": office_id, "responders_online": online,
                   "min_responders_online": minimum})


HEARTBEAT_ACK = encode({"type": "heartbeat_ack"})


def error_frame(code: str, detail: str) -> str:
    return encode({"type": "error", "error": code, "detail": detail})


TOO_MANY_RESUMES = error_frame("too_many_resumes",
                               "one resume per connection every 5 s; live events carry on")
NO_SUCH_ALARM = error_frame("not_found", "no such alarm")
