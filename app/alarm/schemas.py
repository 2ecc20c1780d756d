import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.validation import Bool, Float, Note, Reason

Level = Literal["yellow", "red"]
Mode = Literal["real", "drill", "test"]
Status = Literal["active", "responding", "resolved", "cancelled"]
Role = Literal["go", "police", "reception"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Position(Strict):
    lat: Float = Field(ge=-90, le=90)
    lon: Float = Field(ge=-180, le=180)
    accuracy_m: Float | None = Field(None, ge=0, le=100_000)


class AlarmCreate(Strict):
    id: uuid.UUID | None = None
    level: Level
    mode: Mode = "real"
    room_id: uuid.UUID | None = None
    location_note: Note | None = None
    silent: Bool = False
    position: Position | None = None


class AlarmAcknowledge(Strict):
    role: Role | None = Field(None, description=(
        "go: I'm coming; police: I am calling the police; reception: I am clearing the "
        "reception. Left out: the role still missing, in that order, for a red alarm; go for "
        "a yellow one. Sent again with another role: the role changes (an alarm.role_changed "
        "event)."))


class AlarmUpgrade(Strict):
    level: Literal["red"]


class AlarmCancel(Strict):
    reason: Reason


class AlarmResolve(Strict):
    summary: Note | None = None


class PersonRef(BaseModel):
    id: uuid.UUID
    full_name: str


class RoomRef(BaseModel):
    id: uuid.UUID
    name: str


class ResponderRead(BaseModel):
    user_id: uuid.UUID
    full_name: str
    acknowledged_at: datetime
    channel: str
    role: Role


class DeliveryRead(BaseModel):
    user_id: uuid.UUID
    full_name: str
    channel: str
    delivered_at: datetime


class AlarmRead(BaseModel):
    id: uuid.UUID
    office_id: uuid.UUID
    level: Level
    mode: Mode
    status: Status
    silent: bool
    raised_by: PersonRef
    device_id: uuid.UUID | None
    room: RoomRef | None
    location_note: str | None
    position: dict[str, Any] | None
    raised_at: datetime
    responders: list[ResponderRead]
    closed_at: datetime | None
    close_reason: str | None
    deliveries: list[DeliveryRead] = Field(
        description="Every user the alarm reached, once per channel (websocket, sms, voice)."
    )
    delivered_to: int = Field(description="How many distinct users the alarm reached.")
    role_counts: dict[Role, int] = Field(description="How many responders have each role.")
    answer_summary: str | None = Field(description=(
        "What the raiser may see at a glance, in Norwegian, e.g. \"2 kommer, politiet varslet\"; "
        "null while nobody has answered."))
    visit_id: uuid.UUID | None = Field(None, description=(
        "The home visit whose timer raised this alarm (the worker missed a check-in)."))


class EventRead(BaseModel):
    seq: int
    alarm_id: uuid.UUID | None = Field(description="Null for a home visit's events.")
    visit_id: uuid.UUID | None = Field(None, description="Set for a home visit's events.")
    type: str
    at: datetime
    actor: PersonRef | None
    data: dict[str, Any]


class AlarmWithEvents(AlarmRead):
    events: list[EventRead]


class AlarmPage(BaseModel):
    items: list[AlarmRead]
    next_cursor: str | None
