"""Retention: once an office's retention period has passed after an alarm closed, take the
people out of the alarm and its incident follow-up, and keep what statistics and the § 5-1
register need (times, levels, modes, offices, rooms, the register's fields).

Events are otherwise never updated: anonymisation is the one exception the law asks for
(GDPR art. 5(1)(e), storage limitation), and each batch is recorded as an audit entry.

Each domain that stores personal data about an alarm registers an anonymiser (`register`),
run for every batch of alarms before the alarm rows themselves are anonymised.
"""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.alarm.models import CLOSED_STATUSES, Alarm, AlarmResponder
from app.audit import service as audit_service
from app.auth.labels import role_label
from app.auth.models import User
from app.db import utcnow
from app.org.models import Office
from app.privacy.models import (
    ANONYMOUS_NAME,
    ANONYMOUS_USER_ID,
    ANONYMOUS_USERNAME,
    RETENTION_JOB,
    JobRun,
)

BATCH = 100  # alarms per transaction: short transactions, so alarms keep flowing on SQLite


@dataclass
class Batch:
    """Alarms being anonymised together, and how each person in them is to be shown."""

    alarms: list[Alarm]
    now: datetime
    _raisers: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    _responders: dict[uuid.UUID, set[uuid.UUID]] = field(default_factory=dict)

    @property
    def ids(self) -> list[uuid.UUID]:
        return [alarm.id for alarm in self.alarms]

    async def label(self, session: AsyncSession, alarm_id: uuid.UUID,
                    user_id: uuid.UUID | str | None) -> str:
        """The role label that replaces one person's name in one alarm."""
        if user_id is None:
            return ANONYMOUS_NAME
        user_id = uuid.UUID(str(user_id))
        if user_id == ANONYMOUS_USER_ID:
            return ANONYMOUS_NAME
        user = await session.get(User, user_id)
        return role_label(user.roles if user else (), raiser=self._raisers.get(alarm_id) == user_id,
                          responded=user_id in self._responders.get(alarm_id, set()))


Anonymiser = Callable[[AsyncSession, Batch], Awaitable[None]]
_anonymisers: list[Anonymiser] = []
# What a domain keeps about people apart from alarms (a home visit that never became one):
# called per office with the cut-off, it anonymises what ended before it and returns a count.
Sweep = Callable[[AsyncSession, Office, datetime, datetime], Awaitable[int]]
_sweeps: list[Sweep] = []


def register(anonymiser: Anonymiser) -> None:
    """Run `anonymiser` on every batch (once, however often registered). It must take the
    people out of what its domain stores about the batch's alarms, and keep times and counts."""
    if anonymiser not in _anonymisers:
        _anonymisers.append(anonymiser)


def register_sweep(sweep: Sweep) -> None:
    """Run `sweep(session, office, before, now)` once per office and run, in its own
    transaction, after the office's alarms (once, however often registered)."""
    if sweep not in _sweeps:
        _sweeps.append(sweep)


async def _anonymous_user(session: AsyncSession) -> None:
    if await session.get(User, ANONYMOUS_USER_ID) is None:
        session.add(User(id=ANONYMOUS_USER_ID, username=ANONYMOUS_USERNAME, password_hash="!",
                         full_name=ANONYMOUS_NAME, office_id=None, roles=[], is_active=False))
        await session.flush()


async def _prepare(session: AsyncSession, alarms: list[Alarm], now: datetime) -> Batch:
    batch = Batch(alarms=alarms, now=now, _raisers={a.id: a.raised_by_id for a in alarms})
    rows = await session.execute(select(AlarmResponder.alarm_id, AlarmResponder.user_id)
                                 .where(AlarmResponder.alarm_id.in_(batch.ids)))
    for alarm_id, user_id in rows.all():
        batch._responders.setdefault(alarm_id, set()).add(user_id)
    return batch


def _anonymise_alarm_row(alarm: Alarm, now: datetime) -> None:
    alarm.raised_by_id = ANONYMOUS_USER_ID
    alarm.device_id = None
    alarm.location_note = None
    alarm.position = None
    alarm.close_reason = None
    alarm.anonymised_at = now


async def anonymise(session: AsyncSession, *, alarms: list[Alarm], now: datetime) -> None:
    """Take the people out of `alarms` and everything registered domains store about them."""
    from app.privacy import anonymisers

    anonymisers.install()
    await _anonymous_user(session)
    batch = await _prepare(session, alarms, now)
    for anonymiser in _anonymisers:
        await anonymiser(session, batch)
    for alarm in alarms:
        _anonymise_alarm_row(alarm, now)
    await session.flush()


def cutoff(office: Office, *, default_days: int, now: datetime) -> tuple[int, datetime]:
    days = office.retention_days or default_days
    return days, now - timedelta(days=days)


async def run(sessionmaker: async_sessionmaker[AsyncSession], *, default_days: int,
              now: datetime | None = None) -> dict[str, Any]:
    """Anonymise every closed alarm whose office's retention period has passed, a batch per
    transaction, with one audit entry per office and batch. Returns how many, per office."""
    from app.privacy import anonymisers

    anonymisers.install()
    now = now or utcnow()
    async with sessionmaker() as session:
        offices = list((await session.scalars(select(Office).order_by(Office.name))).all())
    done: dict[str, int] = {}
    for office in offices:
        days, before = cutoff(office, default_days=default_days, now=now)
        while True:
            async with sessionmaker() as session:
                alarms = list((await session.scalars(
                    select(Alarm).where(Alarm.office_id == office.id,
                                        Alarm.status.in_(CLOSED_STATUSES),
                                        Alarm.closed_at < before, Alarm.anonymised_at.is_(None))
                    .order_by(Alarm.closed_at).limit(BATCH).with_for_update(skip_locked=True)
                )).all())
                if not alarms:
                    break
                await anonymise(session, alarms=alarms, now=now)
                await audit_service.record(
                    session, actor=None, action="retention.anonymise", object_type="office",
                    object_id=office.id, office_id=office.id,
                    detail={"alarms": len(alarms), "retention_days": days,
                            "closed_before": before.isoformat()})
                await session.commit()
            done[str(office.id)] = done.get(str(office.id), 0) + len(alarms)
        for sweep in _sweeps:
            async with sessionmaker() as session:
                await _anonymous_user(session)
                swept = await sweep(session, office, before, now)
                if swept:
                    await audit_service.record(
                        session, actor=None, action="retention.anonymise", object_type="office",
                        object_id=office.id, office_id=office.id,
                        detail={getattr(sweep, "what", "records"): swept, "retention_days": days,
                                "closed_before": before.isoformat()})
                await session.commit()
    return {"alarms": sum(done.values()), "offices": done}


async def claim_today(session: AsyncSession, *, now: datetime) -> bool:
    """Mark today's run as taken; False when another process or an earlier start took it.
    A conditional UPDATE: on PostgreSQL a second claimer waits for the first to commit and
    then finds nothing to update; SQLite has one writer."""
    today = now.date()
    result = await session.execute(
        update(JobRun)
        .where(JobRun.job == RETENTION_JOB,
               or_(JobRun.last_run_on.is_(None), JobRun.last_run_on < today))
        .values(last_run_on=today, last_run_at=now, runs=JobRun.runs + 1))
    return result.rowcount == 1


async def record_run(session: AsyncSession, *, now: datetime) -> None:
    """Record a run asked for by hand (`trygg retention run`), so the server skips today's."""
    await session.execute(update(JobRun).where(JobRun.job == RETENTION_JOB)
                          .values(last_run_on=now.date(), last_run_at=now,
                                  runs=JobRun.runs + 1))


async def last_run(session: AsyncSession) -> JobRun | None:
    return await session.get(JobRun, RETENTION_JOB)
