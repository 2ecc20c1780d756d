from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth import service
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


# Read by nothing: it tells the OpenAPI document which routes need a token (401/403 follow).
_bearer = HTTPBearer(auto_error=False, scheme_name="bearer",
                     description="A login token (`POST /auth/login`) or a device token (`POST /devices`).")
Documented = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def get_principal(request: Request, session: SessionDep, _: Documented) -> Principal:
    return await service.authenticate(
        session, token=bearer_token(request), key=request.app.state.settings.signing_key
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
