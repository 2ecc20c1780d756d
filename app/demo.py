"""A demo organisation for a first look: two offices, rooms, and a user of every role."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import service as auth_service
from app.auth.models import User
from app.auth.schemas import UserCreate
from app.org import service as org_service
from app.org.models import Office
from app.org.schemas import OfficeCreate, RoomCreate

DEMO_PASSWORD = "trygg-demo-2026"


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    roles: tuple[str, ...]
    office: str | None
    phone: str | None = None


OFFICES = {
    "NAV Grorud": ("Skranke 1", "Skranke 2", "Samtalerom 1", "Samtalerom 2", "Venterom"),
    "NAV Årstad": ("Skranke", "Samtalerom A", "Samtalerom B"),
}

USERS = (
    DemoUser("admin", "Ada Admin", ("admin",), None),
    DemoUser("leder", "Liv Leder", ("manager", "responder"), "NAV Grorud", "+4791000001"),
    DemoUser("vakt", "Vegard Vakt", ("responder",), "NAV Grorud", "+4791000002"),
    DemoUser("kollega", "Kari Kollega", ("staff", "responder"), "NAV Grorud", "+4791000003"),
    DemoUser("ansatt", "Anders Ansatt", ("staff",), "NAV Grorud"),
    DemoUser("verneombud", "Vera Verneombud", ("staff", "safety_rep"), "NAV Grorud"),
    DemoUser("bergen", "Bjørn Bergen", ("staff", "responder", "manager"), "NAV Årstad",
             "+4791000004"),
)


async def is_empty(session: AsyncSession) -> bool:
    users = await session.scalar(select(func.count()).select_from(User))
    offices = await session.scalar(select(func.count()).select_from(Office))
    return not users and not offices


async def has_demo_users(session: AsyncSession) -> bool:
    found = await session.scalar(select(func.count()).select_from(User).where(
        User.username.in_([u.username for u in USERS])))
    return found == len(USERS)


async def load(session: AsyncSession) -> None:
    """Store the demo offices, rooms and users (the caller commits)."""
    offices: dict[str, Office] = {}
    for name, rooms in OFFICES.items():
        office = await org_service.create_office(session, payload=OfficeCreate(name=name))
        offices[name] = office
        for room in rooms:
            await org_service.create_room(session, office=office, payload=RoomCreate(name=room))
    for user in USERS:
        await auth_service.create_user(session, payload=UserCreate(
            username=user.username, password=DEMO_PASSWORD, full_name=user.full_name,
            office_id=offices[user.office].id if user.office else None,
            roles=list(user.roles), phone=user.phone,
        ))


def logins_text() -> str:
    lines = [f"Demo logins (password for all: {DEMO_PASSWORD}):"]
    for user in USERS:
        where = user.office or "all offices"
        lines.append(f"  {user.username:<11} {', '.join(user.roles):<28} {where}")
    return "\n".join(lines)
