import uuid
from typing import Annotated

from annotated_types import Ge, Le
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from app.validation import Int, Name, json_integer, may_omit

# Constraints before the JSON-integer check, so the schema of the nullable field states them.
RetentionDays = Annotated[int, Ge(30), Le(3650), BeforeValidator(json_integer)]
RETENTION = ("Days after an alarm closes before its personal data is anonymised (30 to 3650); "
             "null: the server's default, TRYGG_RETENTION_DAYS.")


class OfficeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    ack_timeout_s: Int = Field(30, ge=5, le=3600)
    min_responders_online: Int = Field(2, ge=0, le=1000)
    retention_days: RetentionDays | None = Field(None, description=RETENTION)
    visit_grace_s: Int = Field(120, ge=30, le=3600, description=(
        "Home visits: seconds from a missed check-in (the worker is warned) to the alarm."))


class OfficeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = may_omit()
    ack_timeout_s: Int = may_omit(ge=5, le=3600)
    min_responders_online: Int = may_omit(ge=0, le=1000)
    retention_days: RetentionDays | None = Field(None, description=RETENTION)
    visit_grace_s: Int = may_omit(ge=30, le=3600)


class OfficeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    ack_timeout_s: int
    min_responders_online: int
    retention_days: int | None = Field(description=RETENTION)
    visit_grace_s: int


class RoomCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name


class RoomRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    office_id: uuid.UUID
    name: str
