"""Offices and rooms."""

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import User
from app.db import flush_unique
from app.errors import Conflict, InvalidInput, NotFound
from app.org.models import Office, Room
from app.org.schemas import OfficeCreate, OfficeUpdate, RoomCreate


async def _name_taken(session: AsyncSession, name: str, *, other_than: uuid.UUID | None) -> bool:
    found = await session.scalar(select(Office.id).where(Office.name == name))
    return found is not None and found != other_than


async def create_office(session: AsyncSession, *, payload: OfficeCreate) -> Office:
    if await _name_taken(session, payload.name, other_than=None):
        raise Conflict(f"an office named {payload.name!r} exists", code="office_name_taken")
    office = Office(**payload.model_dump())
    session.add(office)
    await flush_unique(session, Conflict(f"an office named {payload.name!r} exists",
                                         code="office_name_taken"))
    return office


async def update_office(session: AsyncSession, *, office: Office, payload: OfficeUpdate) -> Office:
    changes = payload.model_dump(exclude_unset=True)
    for field, value in changes.items():
        if value is None and field != "retention_days":  # null: back to the server's default
            raise InvalidInput([{"field": field, "msg": "may not be null"}])
    if "name" in changes and await _name_taken(session, changes["name"], other_than=office.id):
        raise Conflict(f"an office named {changes['name']!r} exists", code="office_name_taken")
    for field, value in changes.items():
        setattr(office, field, value)
    await flush_unique(session, Conflict("an office with that name exists",
                                         code="office_name_taken"))
    return office


async def get_office_for(session: AsyncSession, *, office_id: uuid.UUID, user: User) -> Office:
    """The office, if the user is an admin or belongs to it; otherwise 404."""
    office = await session.get(Office, office_id)
    if office is None or not (user.has_role("admin") or user.office_id == office_id):
        raise NotFound("no such office")
    return office


async def list_offices(session: AsyncSession, *, user: User) -> Sequence[Office]:
    query = select(Office).order_by(Office.name)
    if not user.has_role("admin"):
        query = query.where(Office.id == user.office_id)
    return (await session.scalars(query)).all()


async def create_room(session: AsyncSession, *, office: Office, payload: RoomCreate) -> Room:
    exists = await session.scalar(
        select(Room.id).where(Room.office_id == office.id, Room.name == payload.name)
    )
    if exists is not None:
        raise Conflict(f"the office has a room named {payload.name!r}", code="room_name_taken")
    room = Room(office_id=office.id, name=payload.name)
    session.add(room)
    await flush_unique(session, Conflict(f"the office has a room named {payload.name!r}",
                                         code="room_name_taken"))
    return room


async def list_rooms(session: AsyncSession, *, office: Office) -> Sequence[Room]:
    return (
        await session.scalars(select(Room).where(Room.office_id == office.id).order_by(Room.name))
    ).all()
