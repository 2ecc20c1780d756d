import uuid

from pydantic import BaseModel, ConfigDict, Field

from app.validation import Name


class OfficeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    ack_timeout_s: int = Field(30, ge=5, le=3600)
    min_responders_online: int = Field(2, ge=0, le=1000)
    visit_grace_s: int = Field(120, ge=30, le=3600, description=(
        "Home visits: seconds from a missed check-in (the worker is warned) to the alarm."))


class OfficeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    ack_timeout_s: int | None = Field(None, ge=5, le=3600)
    min_responders_online: int | None = Field(None, ge=0, le=1000)
    visit_grace_s: int | None = Field(None, ge=30, le=3600)


class OfficeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    ack_timeout_s: int
    min_responders_online: int
    visit_grace_s: int


class RoomCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name


class RoomRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    office_id: uuid.UUID
    name: str
