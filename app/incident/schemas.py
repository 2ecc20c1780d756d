import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from app.validation import NOT_BLANK, NUL_FREE, Bool, SchemaPattern, Time, _no_nul, may_omit

Injury = Literal["none", "minor", "serious"]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000),
                     AfterValidator(_no_nul), SchemaPattern(NUL_FREE)]
Participants = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                max_length=10_000),
                         AfterValidator(_no_nul), SchemaPattern(NOT_BLANK)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
                  AfterValidator(_no_nul), SchemaPattern(NOT_BLANK)]
Reference = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200),
                      AfterValidator(_no_nul), SchemaPattern(NUL_FREE)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IncidentUpdate(Strict):
    """The whole register entry (Working Environment Act § 5-1); PUT replaces it."""

    occurred_at: Time = Field(description="When it happened.")
    work_activity: LongText = Field("", description="The work being done.")
    sequence_of_events: LongText = Field("", description="What happened, in order.")
    presumed_causes: LongText = ""
    injury: Injury = "none"
    police_notified: Bool = False
    deviation_ref: Reference | None = Field(None, description="Reference in the deviation system.")
    labour_inspection_notified_at: Time | None = Field(
        None, description="§ 5-2: when the Labour Inspection was told of a serious injury.")
    police_notified_at: Time | None = Field(
        None, description="§ 5-2: when the police were told of a serious injury.")


class PersonRef(BaseModel):
    id: uuid.UUID
    full_name: str


class NotificationDuty(BaseModel):
    """§ 5-2: a serious injury is reported at once to the Labour Inspection and the police."""

    required: bool
    labour_inspection_done: bool
    police_done: bool
    outstanding: bool


class DebriefCreate(Strict):
    scheduled_at: Time | None = None
    participants: Participants = Field(description="The people involved, by name.")
    notes: LongText = ""


class DebriefUpdate(Strict):
    scheduled_at: Time | None = None
    held_at: Time | None = None
    participants: Participants = may_omit()
    notes: LongText = may_omit()


class DebriefRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    alarm_id: uuid.UUID
    scheduled_at: datetime | None
    held_at: datetime | None
    participants: str
    notes: str
    created_at: datetime
    overdue: bool = False


class TaskCreate(Strict):
    title: Title
    owner_id: uuid.UUID
    due_at: Time | None = None


class TaskUpdate(Strict):
    title: Title = may_omit()
    owner_id: uuid.UUID = may_omit()
    due_at: Time | None = None
    done: Bool = may_omit()


class TaskRead(BaseModel):
    id: uuid.UUID
    alarm_id: uuid.UUID
    title: str
    owner: PersonRef
    due_at: datetime | None
    done_at: datetime | None
    created_at: datetime
    overdue: bool


class IncidentRead(BaseModel):
    alarm_id: uuid.UUID
    office_id: uuid.UUID
    recorded: bool = Field(description="False until the register entry is first saved.")
    occurred_at: datetime
    work_activity: str
    sequence_of_events: str
    presumed_causes: str
    injury: Injury
    police_notified: bool
    deviation_ref: str | None
    labour_inspection_notified_at: datetime | None
    police_notified_at: datetime | None
    notification_duty: NotificationDuty
    debrief_due_from: datetime = Field(description="One day after the alarm closed.")
    debrief_due_by: datetime = Field(description="Three days after the alarm closed.")
    debrief_overdue: bool = Field(description="No debrief held and the due date has passed.")
    debriefs: list[DebriefRead]
    tasks: list[TaskRead]
    updated_at: datetime | None
    updated_by: PersonRef | None


class RegisterPerson(BaseModel):
    """Someone involved, shown by the part they played, never by name."""

    role: str = Field(description="Ansatt (raised it), Responsperson (came), Leder, …")
    part: Literal["raised", "acknowledged"]
    at: datetime


class RegisterEntry(BaseModel):
    """One entry of the Working Environment Act § 5-1 register, as the safety representative
    sees it: when, the work being done, the sequence of events, presumed causes, injury; people
    by role. No debrief notes, task owners, location notes, positions or phone numbers."""

    alarm_id: uuid.UUID
    office_id: uuid.UUID
    occurred_at: datetime
    level: str
    room: str | None
    closed_at: datetime | None
    work_activity: str
    sequence_of_events: str
    presumed_causes: str
    injury: Injury
    police_notified: bool
    labour_inspection_notified_at: datetime | None
    police_notified_at: datetime | None
    deviation_ref: str | None
    people: list[RegisterPerson]
    debriefs_held: int
    tasks_open: int
    anonymised: bool = Field(description="The retention period has passed; people were "
                                         "taken out of the alarm.")
