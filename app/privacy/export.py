"""Everything Trygg stores about one person, for an access request (GDPR art. 15).

Each domain contributes a section (`register_section`); the export itself is audited.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.alarm.models import Alarm, AlarmDelivery, AlarmEvent, AlarmResponder
from app.audit import service as audit_service
from app.audit.models import AuditEntry
from app.auth.models import Device, LoginToken, User
from app.incident.models import Debrief, FollowUpTask, Incident
from app.notify.models import Notification
from app.push.models import PushSubscription
from app.visit.models import Visit

Section = Callable[[AsyncSession, User], Awaitable[list[dict[str, Any]]]]
_sections: dict[str, Section] = {}


def register_section(name: str, section: Section) -> None:
    """Add what another domain stores about a person (home visits, push subscriptions…)."""
    _sections[name] = section


def _row(obj: Any, *skip: str) -> dict[str, Any]:
    return {c.key: getattr(obj, c.key) for c in obj.__table__.columns if c.key not in skip}


async def _devices(session: AsyncSession, user: User) -> list[dict[str, Any]]:
    rows = await session.scalars(select(Device).where(Device.user_id == user.id)
                                 .order_by(Device.created_at))
    return [_row(d, "token_hash") for d in rows.all()]


async def _logins(session: AsyncSession, user: User) -> list[dict[str, Any]]:
    rows = await session.scalars(select(LoginToken).where(LoginToken.user_id == user.id)
                                 .order_by(LoginToken.created_at))
    return [_row(t, "token_hash") for t in rows.all()]


async def _alarms_raised(session: AsyncSession, user: User) -> list[dict[str, Any]]:
    rows = await session.scalars(select(Alarm).where(Alarm.raised_by_id == user.id)
                                 .order_by(Alarm.raised_at))
    return [_row(a) for a in rows.all()]


async def _acknowledgements(session: AsyncSession, user: User) -> list[dict[str, Any]]:
    rows = await session.scalars(select(AlarmResponder).where(AlarmResponder.user_id == user.id)
                                 .order_by(AlarmResponder.acknowledged_at))
    return [_row(r) for r in rows.all()]


async def _deliveries(session: AsyncSession, user: User) -> list[dict[str, Any]]:
    rows = await session.scalars(select(AlarmDelivery).where(AlarmDelivery.user_id == user.id)
                                 .order_by(AlarmDelivery.delivered_at))
    return [_row(d) for d in rows.all()]


async def _texts(session: AsyncSession, user: User) -> list[dict[str, Any]]:
    rows = await session.scalars(select(Notification).where(Notification.user_id == user.id)
                                 .order_by(Notification.created_at))
    return [_row(n, "lease_until") for n in rows.all()]


async def _events(session: AsyncSession, user: User) -> list[dict[str, Any]]:
    """Events they caused, and events about them (texts, calls, deliveries to them)."""
    notified = select(Notification.alarm_id).where(Notification.user_id == user.id)
    delivered = select(AlarmDelivery.alarm_id).where(AlarmDelivery.user_id == user.id)
    rows = await session.scalars(
        select(AlarmEvent).where(or_(AlarmEvent.actor_id == user.id,
                                     AlarmEvent.alarm_id.in_(notified),
                                     AlarmEvent.alarm_id.in_(delivered)))
        .order_by(AlarmEvent.seq))
    mine = str(user.id)
    return [{"seq": e.seq, "alarm_id": e.alarm_id, "type": e.type, "at": e.at,
             "actor_name": e.actor_name, "data": e.data}
            for e in rows.all() if e.actor_id == user.id or (e.data or {}).get("user_id") == mine]


def _involved(user: User) -> Any:
    raised = select(Alarm.id).where(Alarm.raised_by_id == user.id)
    answered = select(AlarmResponder.alarm_id).where(AlarmResponder.user_id == user.id)
    return raised, answered


async def _incidents(session: AsyncSession, user: User) -> list[dict[str, Any]]:
    """Register entries of alarms they raised or answered, that they edited, or that name them."""
    raised, answered = _involved(user)
    names = [Incident.work_activity.icontains(user.full_name, autoescape=True),
             Incident.sequence_of_events.icontains(user.full_name, autoescape=True),
             Incident.presumed_causes.icontains(user.full_name, autoescape=True)]
    rows = await session.scalars(
        select(Incident).where(or_(Incident.alarm_id.in_(raised), Incident.alarm_id.in_(answered),
                                   Incident.updated_by_id == user.id, *names))
        .order_by(Incident.occurred_at))
    return [_row(i) for i in rows.all()]


async def _debriefs(session: AsyncSession, user: User) -> list[dict[str, Any]]:
    raised, answered = _involved(user)
    rows = await session.scalars(
        select(Debrief).where(or_(
            Debrief.alarm_id.in_(raised), Debrief.alarm_id.in_(answered),
            Debrief.participants.icontains(user.full_name, autoescape=True),
            Debrief.notes.icontains(user.full_name, autoescape=True)))
        .order_by(Debrief.created_at))
    return [_row(d) for d in rows.all()]


async def _tasks(session: AsyncSession, user: User) -> list[dict[str, Any]]:
    rows = await session.scalars(select(FollowUpTask).where(FollowUpTask.owner_id == user.id)
                                 .order_by(FollowUpTask.created_at))
    return [_row(t) for t in rows.all()]


async def _audit(session: AsyncSession, user: User) -> list[dict[str, Any]]:
    """What they read (their own accesses), and who read or exported their data."""
    rows = await session.scalars(
        select(AuditEntry).where(or_(AuditEntry.actor_id == user.id,
                                     AuditEntry.object_id == user.id))
        .order_by(AuditEntry.at))
    return [_row(e) for e in rows.all()]


async def _visits(session: AsyncSession, user: User) -> list[dict[str, Any]]:
    """Home visits: places, times and the positions they gave."""
    rows = await session.scalars(select(Visit).where(Visit.user_id == user.id)
                                 .order_by(Visit.started_at))
    return [_row(v) for v in rows.all()]


async def _push_subscriptions(session: AsyncSession, user: User) -> list[dict[str, Any]]:
    """Browsers that receive lock-screen alerts (endpoint and when; never the keys)."""
    rows = await session.scalars(select(PushSubscription).where(PushSubscription.user_id == user.id))
    return [{"id": r.id, "endpoint": r.endpoint, "created_at": r.created_at} for r in rows.all()]


for _name, _section in (
    ("visits", _visits), ("push_subscriptions", _push_subscriptions),
    ("devices", _devices), ("logins", _logins), ("alarms_raised", _alarms_raised),
    ("acknowledgements", _acknowledgements), ("deliveries", _deliveries), ("texts", _texts),
    ("events", _events), ("incidents", _incidents), ("debriefs", _debriefs),
    ("tasks", _tasks), ("audit", _audit),
):
    register_section(_name, _section)


async def find_user(session: AsyncSession, username: str) -> User | None:
    return await session.scalar(select(User).where(User.username == username))


async def export_person(session: AsyncSession, *, user: User,
                        actor: User | None = None) -> dict[str, Any]:
    """Everything stored about `user` (never a password or token hash), and an audit entry
    recording that it was exported (`actor` None: the command line)."""
    await audit_service.record(session, actor=actor, action="person.export", object_type="user",
                               object_id=user.id, office_id=user.office_id)
    out: dict[str, Any] = {"user": _row(user, "password_hash")}
    for name, section in _sections.items():
        out[name] = await section(session, user)
    return out
