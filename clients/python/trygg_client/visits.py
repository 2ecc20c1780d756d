"""Home visits from the command line: when a visit ends, and which visit a command means."""

from datetime import datetime, timedelta

from trygg_client.api import Api


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
