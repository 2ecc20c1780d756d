import uuid
from datetime import timedelta

from fastapi import APIRouter, Request, status

from app.auth import security, service, throttle
from app.auth.dependencies import (
    AdminUser,
    CurrentPrincipal,
    CurrentUser,
    bearer_token,
    client_address,
)
from app.auth.models import User
from app.auth.schemas import (
    DeviceCreate,
    DeviceEnrolled,
    DeviceRead,
    LoginRequest,
    PasswordChange,
    PasswordReset,
    TokenRead,
    UserCreate,
    UserRead,
)
from app.db import SessionDep, commit
from app.errors import InvalidInput, NotFound, TooManyRequests

router = APIRouter(tags=["auth"])


async def _verify(request: Request, password_hash: str | None, password: str) -> bool:
    try:
        return await request.app.state.password_hashing.verify(password_hash, password)
    except security.HasherBusy:
        raise TooManyRequests("the server is busy checking passwords; try again",
                              headers={"Retry-After": "1"}) from None


async def _record_attempt(request: Request, session, *, account: str) -> None:  # type: ignore[no-untyped-def]
    settings = request.app.state.settings
    await throttle.record_attempt(
        session, account=account, address=client_address(request),
        window_s=settings.login_window_s,
        max_per_account=settings.login_max_failures_per_account,
        max_per_address=settings.login_max_failures_per_address)


@router.post("/auth/login", response_model=TokenRead,
             responses={401: {"description": "Wrong username or password, or a disabled user."},
                        429: {"description": "Too many failed logins for the account or address."}})
async def login(payload: LoginRequest, request: Request) -> TokenRead:
    """Check the password and store a new login token. Too many failures for the account or
    from the client's address within TRYGG_LOGIN_WINDOW_S: 429 with Retry-After, before any
    password is checked. Each step has its own short transaction, so no database connection
    is held while argon2 runs (the attempt is stored first, so it counts even if the server
    stops halfway)."""
    state = request.app.state
    async with state.sessionmaker() as session:
        await _record_attempt(request, session, account=payload.username)
        user = await service.find_login_user(session, username=payload.username)
        await commit(session)
    ok = await _verify(request, user.password_hash if user else None, payload.password)
    if user is None or not ok or not user.is_active:
        raise service.refuse_login()
    async with state.sessionmaker() as session:
        await throttle.forget_attempts(session, account=payload.username)
        token, row = await service.issue_login_token(
            session, user=user, key=state.settings.signing_key,
            ttl=timedelta(hours=state.settings.login_token_ttl_hours))
        await commit(session)
    return TokenRead(access_token=token, expires_at=row.expires_at)


@router.post("/auth/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(payload: PasswordChange, request: Request, session: SessionDep,
                          principal: CurrentPrincipal) -> None:
    """Change your own password: the current one is checked (and throttled like a login), the
    new one must meet the policy. Revokes every other login token of yours; the token of this
    request and your devices keep working."""
    user = principal.user
    service.check_new_password(user, payload.new_password)
    key = request.app.state.settings.signing_key
    current = (None if principal.device is not None
               else await service.login_token_row(session, token=bearer_token(request) or "", key=key))
    await _record_attempt(request, session, account=user.username)
    # Commit the attempt (it counts even when the password is wrong) and free the connection
    # while argon2 runs.
    await commit(session)
    if not await _verify(request, user.password_hash, payload.current_password):
        raise InvalidInput([{"field": "current_password", "msg": "wrong password"}],
                           code="wrong_password")
    await service.set_password(session, user=user, password=payload.new_password,
                               hashing=request.app.state.password_hashing)
    await throttle.forget_attempts(session, account=user.username)
    await service.revoke_user_tokens(session, user=user, devices=False, keep=current)


@router.post("/users/{user_id}/password", status_code=status.HTTP_204_NO_CONTENT)
async def reset_password(user_id: uuid.UUID, payload: PasswordReset, request: Request,
                         session: SessionDep, admin: AdminUser) -> None:
    """Set a user's password (admins only) and revoke all their login and device tokens: a
    reset follows a lost or leaked password, and whoever had it may have enrolled a device
    with it. The user logs in again and re-enrolls their devices."""
    target = await session.get(User, user_id)
    if target is None:
        raise NotFound("no such user")
    await commit(session)  # free the database connection while argon2 runs
    await service.set_password(session, user=target, password=payload.new_password,
                               hashing=request.app.state.password_hashing)
    await throttle.forget_attempts(session, account=target.username)
    await service.revoke_user_tokens(session, user=target, devices=True)


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
async def create_user(payload: UserCreate, request: Request, session: SessionDep,
                      admin: AdminUser) -> UserRead:
    await commit(session)  # free the database connection (authentication used it) for argon2
    return UserRead.model_validate(await service.create_user(
        session, payload=payload, hashing=request.app.state.password_hashing))


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
