import uuid
from datetime import datetime

from pydantic import BaseModel


class AuditEntryRead(BaseModel):
    id: uuid.UUID
    at: datetime
    actor_id: uuid.UUID
    actor_name: str
    action: str
    object_type: str
    object_id: uuid.UUID
    office_id: uuid.UUID | None
