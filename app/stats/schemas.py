import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.validation import Int


class MonthCount(BaseModel):
    month: str = Field(description="YYYY-MM, UTC.")
    mode: str = Field(description="real or drill; function tests are not counted.")
    yellow: int
    red: int


class AckTime(BaseModel):
    office_id: uuid.UUID
    office_name: str
    mode: str
    alarms: int
    acknowledged: int
    median_s: float | None = Field(description="Median seconds from raise to first acknowledgement.")
    p90_s: float | None = Field(description="90th percentile (nearest rank), seconds.")


class VisitFigures(BaseModel):
    office_id: uuid.UUID
    office_name: str
    visits: int = Field(description="Home visits started in the period.")
    overdue: int = Field(description="Of those, how many raised an alarm (no check-in in time).")
    false_overdue: int = Field(description="Of the overdue ones, how many alarms were cancelled "
                                           "(a false alarm) rather than resolved.")


class Stats(BaseModel):
    since: datetime
    until: datetime
    months: list[MonthCount]
    ack_times: list[AckTime]
    visits: list[VisitFigures]


class ReadinessDevice(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    user_full_name: str
    kind: str
    label: str | None
    room: str | None
    online: bool
    last_seen_at: datetime | None
    last_test_at: datetime | None
    test_overdue: bool = Field(description="No passed function test within the test interval.")


class ReadinessResponder(BaseModel):
    user_id: uuid.UUID
    full_name: str
    online: bool
    reachable: list[Literal["websocket", "push", "sms"]] = Field(
        description="The channels an alarm would reach this responder on now: `websocket` (a "
                    "live connection), `push` (a push subscription), `sms` (a phone, with "
                    "texts enabled). Empty: the responder cannot be alarmed.")


class Readiness(BaseModel):
    office_id: uuid.UUID
    office_name: str
    test_interval_days: int
    min_responders_online: int
    responders_online: int
    below_minimum: bool
    responders: list[ReadinessResponder]
    devices: list[ReadinessDevice]


class ReadinessPolicyUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    test_interval_days: Int = Field(ge=1, le=365)


class ReadinessPolicyRead(BaseModel):
    office_id: uuid.UUID
    test_interval_days: int
