import uuid
from typing import Annotated

from fastapi import Depends

from app.alarm import service
from app.alarm.models import Alarm
from app.auth.dependencies import CurrentUser
from app.db import SessionDep


async def get_current_alarm(alarm_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Alarm:
    """The alarm in the path, if the caller may see it; otherwise 404."""
    return await service.get_visible(session, alarm_id=alarm_id, user=user)


CurrentAlarm = Annotated[Alarm, Depends(get_current_alarm)]
