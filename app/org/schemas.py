import uuid

from pydantic import BaseModel, ConfigDict, Field

from app.validation import Int, Name, may_omit

RETENTION = ("Days after an alarm closes before its personal data is anonymised (30 to 3650); "
             "null: the server's default, TRYGG_RETENTION_DAYS.")


class OfficeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    ack_timeout_s: Int = Field(30, ge=5, le=3600)
    min_responders_online: Int = Field(2, ge=0, le=1000)
    retention_days: Int | None = Field(None, ge=30, le=3650, description=RETENTION)
    visit_grace_s: Int = Field(120, ge=30, le=3600, description=(
        "Home visits: seconds from a missed check-in (the worker is warned) to the alarm."))


class OfficeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = may_omit()
    ack_timeout_s: Int = may_omit(ge=5, le=3600)
    min_responders_online: Int = may_omit(ge=0, le=1000)
    retention_days: Int | None = Field(None, ge=30, le=3650, description=RETENTION)
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
