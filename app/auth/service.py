"""Users, login tokens and device tokens."""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import passwords, security
from app.auth.models import ROLES, Device, LoginToken, User
from app.auth.schemas import DeviceCreate, UserCreate
from app.db import flush_unique, utcnow
from app.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from app.org.models import Office, Room


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user, and the device whose token they used, if any."""

    user: User
    device: Device | None = None


DEFAULT_DEVICE_IDLE = timedelta(days=90)
# A device's last_seen_at is written at most this often by authentication (not every request).
SEEN_RESOLUTION = timedelta(hours=1)


async def ensure_phone_free(session: AsyncSession, *, phone: str | None,
                            user_id: uuid.UUID | None = None) -> None:
    """409 `phone_taken` when another active user has this number: an SMS reply from a number
    acknowledges as exactly one person."""
    if phone is None:
        return
    query = select(User.id).where(User.phone == phone, User.is_active.is_(True))
    if user_id is not None:
        query = query.where(User.id != user_id)
    if await session.scalar(query.limit(1)) is not None:
        raise Conflict("another active user has this phone number", code="phone_taken")


async def create_user(session: AsyncSession, *, payload: UserCreate,
                      hashing: security.PasswordHashing = security.default_hashing) -> User:
    """Store a new user with an argon2 password hash. The hash is made before the first query,
    so no database connection waits for argon2 (SQLite has only one)."""
    password_hash = await hashing.hash(payload.password)
    if payload.office_id is not None and await session.get(Office, payload.office_id) is None:
        raise InvalidInput([{"field": "office_id", "msg": "unknown office"}])
    if payload.office_id is None and set(payload.roles) - {"admin"}:
        raise InvalidInput([{"field": "office_id", "msg": "staff, responders and managers need an office"}])
    exists = await session.scalar(select(User.id).where(User.username == payload.username))
    if exists is not None:
        raise Conflict(f"username {payload.username!r} is taken", code="username_taken")
    await ensure_phone_free(session, phone=payload.phone)
    user = User(
        username=payload.username,
        password_hash=password_hash,
        full_name=payload.full_name,
        office_id=payload.office_id,
        roles=sorted(set(payload.roles), key=ROLES.index),
        phone=payload.phone,
    )
    session.add(user)
    await flush_unique(session, Conflict(f"username {payload.username!r} or its phone is taken",
                                         code="username_taken"))
    return user


async def find_login_user(session: AsyncSession, *, username: str) -> User | None:
    return await session.scalar(select(User).where(User.username == username))


async def issue_login_token(session: AsyncSession, *, user: User, key: bytes,
                            ttl: timedelta) -> tuple[str, LoginToken]:
    """Store a new hashed login token for `user`; the plain token is returned once."""
    token = security.new_token(security.LOGIN_PREFIX)
    row = LoginToken(user_id=user.id, token_hash=security.hash_token(key, token),
                     expires_at=utcnow() + ttl)
    session.add(row)
    await session.flush()
    return token, row


def refuse_login() -> Unauthorized:
    return Unauthorized("wrong username or password", code="invalid_credentials")


async def authenticate(session: AsyncSession, *, token: str | None, key: bytes,
                       device_idle: timedelta = DEFAULT_DEVICE_IDLE) -> Principal:
    """The user (and device) a bearer token belongs to, or Unauthorized. A device token
    unused for `device_idle` is refused; a used one has its last_seen_at moved on (at most
    once an hour, so a busy device does not write on every request)."""
    if not token:
        raise Unauthorized("missing bearer token", code="missing_token")
    digest = security.hash_token(key, token)
    now = utcnow()
    if token.startswith(security.DEVICE_PREFIX):
        device = await session.scalar(select(Device).where(Device.token_hash == digest))
        if device is None or device.revoked_at is not None:
            raise Unauthorized("invalid or revoked token", code="invalid_token")
        seen = device.last_seen_at or device.created_at
        if seen <= now - device_idle:
            raise Unauthorized("device token expired after being unused; enroll the device again",
                               code="invalid_token")
        if device.last_seen_at is None or device.last_seen_at <= now - SEEN_RESOLUTION:
            device.last_seen_at = now
        user = await session.get(User, device.user_id)
        principal = Principal(user=user, device=device)
    else:
        row = await session.scalar(select(LoginToken).where(LoginToken.token_hash == digest))
        if row is None or row.revoked_at is not None or row.expires_at <= now:
            raise Unauthorized("invalid or expired token", code="invalid_token")
        principal = Principal(user=await session.get(User, row.user_id))
    if principal.user is None or not principal.user.is_active:
        raise Unauthorized("user is disabled", code="invalid_token")
    return principal


def check_new_password(user: User, password: str, *, field: str = "new_password") -> None:
    """422 naming `field` when the password breaks the policy."""
    reason = passwords.problem(password, username=user.username)
    if reason is not None:
        raise InvalidInput([{"field": field, "msg": reason}])


async def revoke_user_tokens(session: AsyncSession, *, user: User, devices: bool,
                             keep: LoginToken | None = None) -> int:
    """Revoke the user's live login tokens (all but `keep`) and, with `devices`, their device
    tokens. Each row is changed through the ORM (not a bulk UPDATE) so that listeners on these
    rows see every revocation. Returns how many tokens were revoked."""
    now = utcnow()
    rows: list[LoginToken | Device] = list((await session.scalars(select(LoginToken).where(
        LoginToken.user_id == user.id, LoginToken.revoked_at.is_(None),
        LoginToken.expires_at > now))).all())
    if devices:
        rows += (await session.scalars(select(Device).where(
            Device.user_id == user.id, Device.revoked_at.is_(None)))).all()
    count = 0
    for row in rows:
        if keep is not None and row is keep:
            continue
        row.revoked_at = now
        count += 1
    await session.flush()
    return count


async def set_password(session: AsyncSession, *, user: User, password: str,
                       hashing: security.PasswordHashing) -> None:
    """Store a new argon2 hash for `user` (the policy is checked first)."""
    check_new_password(user, password)
    user.password_hash = await hashing.hash(password)
    await session.flush()


async def login_token_row(session: AsyncSession, *, token: str, key: bytes) -> LoginToken | None:
    return await session.scalar(select(LoginToken).where(
        LoginToken.token_hash == security.hash_token(key, token)))


async def revoke_login_token(session: AsyncSession, *, token: str, key: bytes) -> None:
    digest = security.hash_token(key, token)
    row = await session.scalar(select(LoginToken).where(LoginToken.token_hash == digest))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()


async def enroll_device(session: AsyncSession, *, actor: User, payload: DeviceCreate,
                        key: bytes) -> tuple[Device, str]:
    """Store a device with a hashed token; the plain token is returned once."""
    if payload.user_id != actor.id and not actor.has_role("admin"):
        raise Forbidden("only an admin may enroll a device for someone else")
    owner = await session.get(User, payload.user_id)
    if owner is None:
        raise InvalidInput([{"field": "user_id", "msg": "unknown user"}])
    if payload.room_id is not None:
        room = await session.get(Room, payload.room_id)
        if room is None or room.office_id != owner.office_id:
            raise InvalidInput([{"field": "room_id", "msg": "unknown room in the user's office"}])
    token = security.new_token(security.DEVICE_PREFIX)
    device = Device(user_id=owner.id, kind=payload.kind, room_id=payload.room_id,
                    label=payload.label, token_hash=security.hash_token(key, token))
    session.add(device)
    await session.flush()
    return device, token


async def get_device(session: AsyncSession, *, device_id: uuid.UUID, actor: User) -> Device:
    device = await session.get(Device, device_id)
    if device is None:
        raise NotFound("no such device")
    if device.user_id != actor.id and not actor.has_role("admin"):
        raise NotFound("no such device")
    return device


async def revoke_device(session: AsyncSession, *, device: Device) -> Device:
    if device.revoked_at is None:
        device.revoked_at = utcnow()
    return device


async def list_devices(session: AsyncSession, *, actor: User,
                       office_id: uuid.UUID | None = None) -> list[Device]:
    """Devices the actor may see: their own; an admin's, every device (or one office's)."""
    query = select(Device).join(User, User.id == Device.user_id).order_by(Device.created_at)
    if not actor.has_role("admin"):
        query = query.where(Device.user_id == actor.id)
    elif office_id is not None:
        query = query.where(User.office_id == office_id)
    return list((await session.scalars(query)).all())
