"""Who may see or act on an alarm, its events and its incident: the one place that says so.

The rule is written once, on plain values (a `Viewer` and an alarm's office, raiser and mode),
so the WebSocket hub can route in memory without the database, and once more as SQL filters
that say exactly the same for lists and replays.

- See (REST details and lists): the raiser; admins; the office's managers; the office's
  responders, except function tests (a test concerns its raiser and the managers who follow up).
- Follow live (WebSocket events, replay, `hello`'s open alarms, texts): the raiser; the office's
  responders and managers, except function tests, which reach their raiser only.
- Act: acknowledge (the office's responders and managers, not the raiser); upgrade and resolve
  (the raiser, the office's responders and managers); cancel (the raiser, the office's managers);
  follow up an incident (admins, the office's managers).
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, true

from app.alarm.models import Alarm

OFFICE_ROLES = frozenset({"responder", "manager"})


@dataclass(frozen=True, slots=True)
class Viewer:
    """A user as the policy sees them: no ORM object, so it can be kept per connection."""

    user_id: uuid.UUID
    office_id: uuid.UUID | None
    roles: frozenset[str]

    @classmethod
    def of(cls, user: Any) -> "Viewer":
        return cls(user_id=user.id, office_id=user.office_id, roles=frozenset(user.roles))

    def has(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)

    @property
    def follows_office(self) -> bool:
        """Receives the live events of the office's alarms (other than function tests)."""
        return self.office_id is not None and not self.roles.isdisjoint(OFFICE_ROLES)


@dataclass(frozen=True, slots=True)
class Target:
    """What the policy needs of an alarm (or of an event, which carries its alarm's)."""

    office_id: uuid.UUID
    raised_by_id: uuid.UUID
    mode: str

    @classmethod
    def of(cls, alarm: Alarm) -> "Target":
        return cls(office_id=alarm.office_id, raised_by_id=alarm.raised_by_id, mode=alarm.mode)

    @classmethod
    def of_visit(cls, visit: dict[str, Any]) -> "Target":
        """A home visit (JSON) is followed and seen like a real alarm of its worker: the worker,
        and the office's responders and managers."""
        return cls(office_id=uuid.UUID(visit["office_id"]), raised_by_id=uuid.UUID(visit["user_id"]),
                   mode="real")

    @classmethod
    def of_record(cls, record: dict[str, Any]) -> "Target":
        """From an event as the bus carries it: an alarm's, or a home visit's (`alarm` None)."""
        if record["alarm"] is None:
            return cls.of_visit(record["visit"])
        return cls.of_snapshot(record["alarm"])

    @classmethod
    def of_snapshot(cls, alarm: dict[str, Any]) -> "Target":
        """From the JSON alarm an event frame carries."""
        return cls(office_id=uuid.UUID(alarm["office_id"]),
                   raised_by_id=uuid.UUID(alarm["raised_by"]["id"]), mode=alarm["mode"])


@dataclass(frozen=True, slots=True)
class Audience:
    """Who follows an alarm live: these users' connections, plus (when `office_id` is set) the
    connections of that office's responders and managers. The hub routes by it."""

    users: frozenset[uuid.UUID]
    office_id: uuid.UUID | None


def audience(target: Target) -> Audience:
    return Audience(users=frozenset((target.raised_by_id,)),
                    office_id=None if target.mode == "test" else target.office_id)


def follows(viewer: Viewer, target: Target) -> bool:
    """Whether the viewer receives the alarm's live events (and its texts and replays)."""
    who = audience(target)
    return viewer.user_id in who.users or (
        who.office_id is not None and viewer.office_id == who.office_id and viewer.follows_office)


def can_see(viewer: Viewer, target: Target) -> bool:
    """Whether the viewer may read the alarm, its events and its incident."""
    if target.raised_by_id == viewer.user_id or viewer.has("admin"):
        return True
    if viewer.office_id != target.office_id:
        return False
    if viewer.has("manager"):
        return True
    return target.mode != "test" and viewer.has("responder")


def may_acknowledge(viewer: Viewer, target: Target) -> bool:
    return (viewer.office_id == target.office_id and viewer.has(*OFFICE_ROLES)
            and target.raised_by_id != viewer.user_id)


def may_answer(viewer: Viewer, target: Target) -> bool:
    """Upgrade or resolve."""
    return target.raised_by_id == viewer.user_id or (
        viewer.office_id == target.office_id and viewer.has(*OFFICE_ROLES))


def may_cancel(viewer: Viewer, target: Target) -> bool:
    return target.raised_by_id == viewer.user_id or (
        viewer.office_id == target.office_id and viewer.has("manager"))


def may_follow_up(viewer: Viewer, office_id: uuid.UUID) -> bool:
    """Write an office's incident register and read its statistics."""
    return viewer.has("admin") or (viewer.has("manager") and viewer.office_id == office_id)


def may_list_office(viewer: Viewer, office_id: uuid.UUID | None) -> bool:
    """Whether a list filtered to `office_id` is one the viewer may ask for at all."""
    return office_id is None or viewer.has("admin") or office_id == viewer.office_id


# The same rules as SQL, for lists and replays. `office`, `raiser` and `mode` are the columns
# of whatever is being filtered (an alarm, or an event joined to its alarm).

def _columns(office: Any | None, raiser: Any | None, mode: Any | None) -> tuple[Any, Any, Any]:
    return (office if office is not None else Alarm.office_id,
            raiser if raiser is not None else Alarm.raised_by_id,
            mode if mode is not None else Alarm.mode)


def can_see_clause(viewer: Viewer, *, office: Any = None, raiser: Any = None,
                   mode: Any = None) -> ColumnElement[bool]:
    office, raiser, mode = _columns(office, raiser, mode)
    if viewer.has("admin"):
        return true()
    mine = raiser == viewer.user_id
    if viewer.office_id is None:
        return mine
    if viewer.has("manager"):
        return or_(mine, office == viewer.office_id)
    if viewer.has("responder"):
        return or_(mine, and_(office == viewer.office_id, mode != "test"))
    return mine


def follows_clause(viewer: Viewer, *, office: Any = None, raiser: Any = None,
                   mode: Any = None) -> ColumnElement[bool]:
    office, raiser, mode = _columns(office, raiser, mode)
    mine = raiser == viewer.user_id
    if not viewer.follows_office:
        return mine
    return or_(mine, and_(office == viewer.office_id, mode != "test"))


def followers(target: Target, people: Iterable[Any]) -> list[Any]:
    """The users among `people` who follow the alarm (for texts and calls)."""
    return [p for p in people if follows(Viewer.of(p), target)]

