import uuid
from datetime import timedelta

from fastapi import APIRouter, Request, status

from app.auth import service
from app.auth.dependencies import AdminUser, CurrentUser, bearer_token
from app.auth.schemas import (
    DeviceCreate,
    DeviceEnrolled,
    DeviceRead,
    LoginRequest,
    TokenRead,
    UserCreate,
    UserRead,
)
from app.db import SessionDep

router = APIRouter(tags=["auth"])


@router.post("/auth/login", response_model=TokenRead,
             responses={401: {"description": "Wrong username or password, or a disabled user."}})
async def login(payload: LoginRequest, request: Request, session: SessionDep) -> TokenRead:
    settings = request.app.state.settings
    token, row = await service.login(
        session, username=payload.username, password=payload.password,
        key=settings.signing_key, ttl=timedelta(hours=settings.login_token_ttl_hours),
    )
    return TokenRead(access_token=token, expires_at=row.expires_at)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(request: Request, session: SessionDep, user: CurrentUser) -> None:
    """Revoke the login token used for this request."""
    await service.revoke_login_token(
        session, token=bearer_token(request) or "", key=request.app.state.settings.signing_key
    )


@router.get("/me", response_model=UserRead)
async def me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@router.post("/users", response_model=UserRead, status_code=status.HTTP_201_CREATED)
async def create_user(payload: UserCreate, session: SessionDep, admin: AdminUser) -> UserRead:
    return UserRead.model_validate(await service.create_user(session, payload=payload))


@router.post("/devices", response_model=DeviceEnrolled, status_code=status.HTTP_201_CREATED)
async def enroll_device(payload: DeviceCreate, request: Request, session: SessionDep,
                        user: CurrentUser) -> DeviceEnrolled:
    device, token = await service.enroll_device(
        session, actor=user, payload=payload, key=request.app.state.settings.signing_key
    )
    return DeviceEnrolled(**DeviceRead.model_validate(device).model_dump(), token=token)


@router.get("/devices", response_model=list[DeviceRead])
async def list_devices(session: SessionDep, user: CurrentUser,
                       office_id: uuid.UUID | None = None) -> list[DeviceRead]:
    """Your own devices; an admin sees every device, or one office's with `office_id`."""
    devices = await service.list_devices(session, actor=user, office_id=office_id)
    return [DeviceRead.model_validate(d) for d in devices]


@router.post("/devices/{device_id}/revoke", response_model=DeviceRead)
async def revoke_device(device_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> DeviceRead:
    """Revoke a device token: the owner or an admin. Repeating it is harmless."""
    device = await service.get_device(session, device_id=device_id, actor=user)
    return DeviceRead.model_validate(await service.revoke_device(session, device=device))
