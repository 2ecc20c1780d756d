"""Home visits: when a visit ends and which visit a command means (the command line), and the
open visits a running client follows."""

from datetime import datetime, timedelta
from typing import Any

from trygg_client.api import Api

OPEN_VISIT = ("active", "overdue")


def end_time(*, minutes: float | None, until: str | None, now: datetime | None = None) -> str:
    """The expected end as ISO 8601 with an offset: `minutes` from now, or `until` (ISO 8601,
    or HH:MM local time: today, or tomorrow if that has passed)."""
    if (minutes is None) == (until is None):
        raise ValueError("give --minutes or --until (one of them)")
    now = now or datetime.now().astimezone()
    if minutes is not None:
        if minutes <= 0:
            raise ValueError("--minutes must be more than 0")
        return (now + timedelta(minutes=minutes)).isoformat()
    assert until is not None
    try:
        clock = datetime.strptime(until, "%H:%M")
    except ValueError:
        try:
            parsed = datetime.fromisoformat(until)
        except ValueError:
            raise ValueError(f"--until {until!r}: HH:MM or an ISO 8601 time") from None
        return (parsed if parsed.tzinfo else parsed.astimezone()).isoformat()
    end = now.replace(hour=clock.hour, minute=clock.minute, second=0, microsecond=0)
    if end <= now:
        end += timedelta(days=1)
    return end.isoformat()


async def current_visit_id(api: Api, user_id: str) -> str:
    """The caller's newest active visit."""
    mine = [v for v in await api.visits("active") if str(v["user_id"]) == str(user_id)]
    if not mine:
        raise LookupError("no active visit of yours: start one with `trygg-client visit start`")
    return str(mine[0]["id"])


class VisitBook:
    """The open home visits a client may see (active, or overdue while the office is alarmed),
    kept current from `hello.open_visits` and visit `event` frames. A replayed frame older than
    the view already held is not taken: the view never steps back in time."""

    def __init__(self) -> None:
        self.visits: dict[str, dict[str, Any]] = {}
        self._seq: dict[str, int] = {}
        self._hello_seq = -1  # a visit `hello` left out was closed by then

    def apply_hello(self, hello: dict[str, Any]) -> None:
        """`hello` says what is open now: whatever it leaves out has ended meanwhile."""
        seq = int(hello.get("seq") or 0)
        self.visits = {str(v["id"]): v for v in hello.get("open_visits") or []}
        self._seq = dict.fromkeys(self.visits, seq)
        self._hello_seq = seq

    def apply_event(self, frame: dict[str, Any]) -> bool:
        """Take a visit event's snapshot; False when it is older than the view held."""
        visit, seq = frame["visit"], int(frame["seq"])
        visit_id = str(visit["id"])
        if seq < self._seq.get(visit_id, self._hello_seq + 1):
            return False
        self._seq[visit_id] = seq
        if visit.get("status") in OPEN_VISIT:
            self.visits[visit_id] = visit
        else:
            self.visits.pop(visit_id, None)
        return True

    def open_visits(self) -> list[dict[str, Any]]:
        """Oldest first, as the server lists them."""
        return sorted(self.visits.values(), key=lambda v: (v.get("started_at") or "", v["id"]))
