"""User listing and changes the console needs beyond the contract's `POST /users`."""

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from app.audit import service as audit_service
from app.auth import service as auth_service
from app.auth.dependencies import AdminUser, CurrentUser
from app.auth.models import ROLES, User
from app.auth.schemas import Phone, Role, UserRead
from app.db import SessionDep, flush_unique
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.org.models import Office
from app.privacy.models import ANONYMOUS_USER_ID
from app.validation import Bool, Name, may_omit

router = APIRouter(tags=["auth"])


class UserAdminRead(UserRead):
    is_active: bool


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: Name = may_omit()
    roles: list[Role] = may_omit(min_length=1)
    office_id: uuid.UUID | None = None
    phone: Phone = None
    is_active: Bool = may_omit()


@router.get("/users", response_model=list[UserAdminRead])
async def list_users(session: SessionDep, user: CurrentUser,
                     office_id: uuid.UUID | None = None) -> list[User]:
    """Users by name: an admin sees everyone (or one office's), a manager their office's.
    The read is written to the audit log."""
    query = select(User).order_by(User.full_name)
    if user.has_role("admin"):
        if office_id is not None:
            query = query.where(User.office_id == office_id)
    elif user.has_role("manager"):
        if office_id is not None and office_id != user.office_id:
            raise Forbidden("managers see their own office only")
        query = query.where(User.office_id == user.office_id)
    else:
        raise Forbidden("managers and admins only")
    users = list((await session.scalars(query.where(User.id != ANONYMOUS_USER_ID))).all())
    scope = office_id or (None if user.has_role("admin") else user.office_id)
    await audit_service.record(session, actor=user, action="users.list", object_type="office",
                               object_id=scope, office_id=scope, detail={"users": len(users)})
    return users


@router.patch("/users/{user_id}", response_model=UserAdminRead)
async def update_user(user_id: uuid.UUID, payload: UserUpdate, session: SessionDep,
                      admin: AdminUser) -> User:
    """Change a user's name, roles, office, phone, or disable them (admins only). A phone number
    another active user has (also when re-enabling someone): 409 `phone_taken`."""
    target = await session.get(User, user_id)
    if target is None:
        raise NotFound("no such user")
    changes = payload.model_dump(exclude_unset=True)
    for field in ("full_name", "roles", "is_active"):
        if field in changes and changes[field] is None:
            raise InvalidInput([{"field": field, "msg": "may not be null"}])
    if changes.get("office_id") is not None and await session.get(Office, changes["office_id"]) is None:
        raise InvalidInput([{"field": "office_id", "msg": "unknown office"}])
    roles = changes.get("roles", target.roles)
    office = changes.get("office_id", target.office_id)
    if office is None and set(roles) - {"admin"}:
        raise InvalidInput([{"field": "office_id",
                             "msg": "staff, responders and managers need an office"}])
    if target.id == admin.id and ("admin" not in roles or changes.get("is_active") is False):
        raise InvalidInput([{"field": "roles", "msg": "you cannot remove your own admin access"}])
    if "roles" in changes:
        changes["roles"] = sorted(set(roles), key=ROLES.index)
    if changes.get("is_active", target.is_active):
        await auth_service.ensure_phone_free(session, phone=changes.get("phone", target.phone),
                                             user_id=target.id)
    for field, value in changes.items():
        setattr(target, field, value)
    await flush_unique(session, Conflict("another active user has this phone number",
                                         code="phone_taken"))
    return target
