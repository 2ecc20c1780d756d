from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth import service
from app.auth.grants import RestGrants
from app.auth.models import User
from app.auth.service import Principal
from app.db import SessionDep
from app.errors import Forbidden


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def client_address(request: Request) -> str:
    """The client's address: the socket peer, or what a trusted proxy says it is (uvicorn
    believes X-Forwarded-For only from TRYGG_FORWARDED_ALLOW_IPS)."""
    return (request.client.host if request.client else "unknown")[:64]


# Read by nothing: it tells the OpenAPI document which routes need a token (401/403 follow).
_bearer = HTTPBearer(auto_error=False, scheme_name="bearer",
                     description="A login token (`POST /auth/login`) or a device token (`POST /devices`).")
Documented = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def get_principal(request: Request, session: SessionDep, _: Documented) -> Principal:
    token = bearer_token(request)
    grants: RestGrants | None = getattr(request.app.state, "rest_grants", None)
    if grants is not None and (principal := await grants.principal(session, token)) is not None:
        return principal
    settings = request.app.state.settings
    return await service.authenticate(
        session, token=token, key=settings.signing_key,
        device_idle=timedelta(days=settings.device_token_idle_days),
    )


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


async def get_current_user(principal: CurrentPrincipal) -> User:
    return principal.user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_admin(user: CurrentUser) -> User:
    if not user.has_role("admin"):
        raise Forbidden("admin role required")
    return user


AdminUser = Annotated[User, Depends(get_admin)]
