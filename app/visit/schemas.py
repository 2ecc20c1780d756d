import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from app.alarm.schemas import PersonRef, Position
from app.validation import Time, _no_nul

VisitStatus = Literal["active", "ended", "overdue"]
Place = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
                  AfterValidator(_no_nul)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VisitCreate(Strict):
    id: uuid.UUID | None = Field(None, description="Chosen by the client, so a retry is safe.")
    place: Place = Field(description="Where the visit is: an address, a shelter, a café.")
    expected_end: Time = Field(description="When the worker expects to be done (in the future).")
    check_in_interval_s: int | None = Field(None, ge=60, le=86_400, description=(
        "Check in at least this often (none: only the end is due)."))
    position: Position | None = Field(None, description="Where the worker is, with their consent.")


class VisitCheckIn(Strict):
    position: Position | None = None


class VisitExtend(Strict):
    expected_end: Time


class VisitRead(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    office_id: uuid.UUID
    place: str
    status: VisitStatus
    due_at: datetime = Field(description="The next check-in (or the end) is due.")
    started_at: datetime
    ended_at: datetime | None
    alarm_id: uuid.UUID | None = Field(description="The red alarm raised when it went overdue.")
    user: PersonRef
    expected_end: datetime
    check_in_interval_s: int | None
    position: dict[str, Any] | None = Field(description="The last position the worker gave.")
    grace_s: int = Field(description="The office's visit_grace_s when the visit started.")
    alarm_at: datetime = Field(description=(
        "When the office is alarmed unless the worker checks in, ends or extends first "
        "(due_at + grace_s)."))
    warned_at: datetime | None = Field(description="When the worker was warned (visit.due) "
                                                   "for the current due_at; null otherwise.")
    last_check_in_at: datetime | None


class VisitPage(BaseModel):
    items: list[VisitRead]
