import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class AuditEntryRead(BaseModel):
    id: uuid.UUID
    at: datetime
    actor_id: uuid.UUID | None = Field(description="None: the server or the command line.")
    actor_name: str
    action: str
    object_type: str
    object_id: uuid.UUID | None = Field(description="None: a read across every office.")
    office_id: uuid.UUID | None
    detail: dict[str, Any] | None = Field(
        None, description="Filters and counts of the read; never the data itself.")
