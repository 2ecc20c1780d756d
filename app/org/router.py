import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from app.auth.dependencies import AdminUser, CurrentUser
from app.db import SessionDep, after_commit
from app.org import service
from app.org.models import Office
from app.org.schemas import OfficeCreate, OfficeRead, OfficeUpdate, RoomCreate, RoomRead

router = APIRouter(tags=["offices"])


async def get_visible_office(office_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Office:
    return await service.get_office_for(session, office_id=office_id, user=user)


VisibleOffice = Annotated[Office, Depends(get_visible_office)]


@router.post("/offices", response_model=OfficeRead, status_code=status.HTTP_201_CREATED)
async def create_office(payload: OfficeCreate, session: SessionDep, admin: AdminUser) -> Office:
    return await service.create_office(session, payload=payload)


@router.get("/offices", response_model=list[OfficeRead])
async def list_offices(session: SessionDep, user: CurrentUser) -> list[Office]:
    return list(await service.list_offices(session, user=user))


@router.get("/offices/{office_id}", response_model=OfficeRead)
async def read_office(office: VisibleOffice) -> Office:
    return office


@router.patch("/offices/{office_id}", response_model=OfficeRead)
async def update_office(admin: AdminUser, payload: OfficeUpdate, office: VisibleOffice,
                        request: Request, session: SessionDep) -> Office:
    """Change office settings; connected clients get a new readiness figure at once."""
    office = await service.update_office(session, office=office, payload=payload)
    hub = request.app.state.hub
    office_id, minimum = office.id, office.min_responders_online

    async def _announce() -> None:
        await hub.office_settings_changed(office_id, min_responders_online=minimum)

    after_commit(session, _announce)
    return office


@router.post("/offices/{office_id}/rooms", response_model=RoomRead,
             status_code=status.HTTP_201_CREATED)
async def create_room(admin: AdminUser, payload: RoomCreate, office: VisibleOffice,
                      session: SessionDep) -> RoomRead:
    return RoomRead.model_validate(await service.create_room(session, office=office, payload=payload))


@router.get("/offices/{office_id}/rooms", response_model=list[RoomRead])
async def list_rooms(office: VisibleOffice, session: SessionDep) -> list[RoomRead]:
    return [RoomRead.model_validate(r) for r in await service.list_rooms(session, office=office)]
