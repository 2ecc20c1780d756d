import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from app.audit import service
from app.audit.schemas import AuditEntryRead
from app.auth.dependencies import CurrentUser
from app.db import SessionDep
from app.errors import Forbidden

router = APIRouter(tags=["audit"])


@router.get("/audit", response_model=list[AuditEntryRead])
async def list_audit(session: SessionDep, user: CurrentUser, object_id: uuid.UUID | None = None,
                     office_id: uuid.UUID | None = None,
                     action: Annotated[str | None, Query(max_length=40)] = None,
                     limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[AuditEntryRead]:
    """Who read which personal data and when (incidents, alarm details, exports, the user
    list, the register) and what retention anonymised: admins see every office, managers
    their own."""
    if not user.has_role("admin", "manager"):
        raise Forbidden("managers and admins only")
    rows = await service.list_entries(session, user=user, object_id=object_id,
                                      office_id=office_id, limit=limit, action=action)
    return [AuditEntryRead(id=e.id, at=e.at, actor_id=e.actor_id, actor_name=name, action=e.action,
                           object_type=e.object_type, object_id=e.object_id, office_id=e.office_id,
                           detail=e.detail)
            for e, name in rows]
