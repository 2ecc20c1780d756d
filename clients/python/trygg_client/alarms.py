"""The alarms a client knows of, kept current from `hello` and `event` frames."""

from dataclasses import dataclass
from typing import Any

OPEN = ("active", "responding")


@dataclass
class AlarmChange:
    alarm: dict[str, Any]
    event: dict[str, Any] | None  # None when the change came from `hello`
    is_new: bool                  # the first time this client hears of the alarm


class AlarmBook:
    """Every alarm heard of, as the server last described it. An alarm is "new" once only,
    whether it first came in `hello.open_alarms`, live, or in a resume's replay."""

    def __init__(self) -> None:
        self.alarms: dict[str, dict[str, Any]] = {}
        self._seq: dict[str, int] = {}  # the seq each alarm's stored view stands at

    def apply_hello(self, hello: dict[str, Any]) -> list[AlarmChange]:
        seq = int(hello.get("seq") or 0)
        return [change for alarm in hello.get("open_alarms", [])
                if (change := self._take(alarm, seq, None)) is not None]

    def apply_event(self, frame: dict[str, Any]) -> AlarmChange | None:
        return self._take(frame["alarm"], int(frame["seq"]), frame["event"], always=True)

    def _take(self, alarm: dict[str, Any], seq: int, event: dict | None,
              always: bool = False) -> AlarmChange | None:
        alarm_id = str(alarm["id"])
        is_new = alarm_id not in self._seq
        if is_new or seq >= self._seq.get(alarm_id, -1):
            # A replayed frame may be older than a `hello` view: never step back in time.
            self.alarms[alarm_id] = alarm
            self._seq[alarm_id] = seq
        elif not always:
            return None
        return AlarmChange(alarm=self.alarms[alarm_id], event=event, is_new=is_new)

    def open_alarms(self) -> list[dict[str, Any]]:
        return [a for a in self.alarms.values() if a.get("status") in OPEN]

    def forget(self, alarm_id: str) -> None:
        """Drop a closed alarm from view (it counts as known: it will not be "new" again)."""
        self.alarms.pop(alarm_id, None)
