import uuid
from datetime import datetime
from typing import Annotated, Literal

import phonenumbers
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from app.auth import passwords
from app.validation import Name, Text

Role = Literal["staff", "responder", "manager", "safety_rep", "admin"]


def _e164(value: str | None) -> str | None:
    if value is None:
        return None
    if not value.startswith("+"):
        raise ValueError("phone must be in E.164 form, e.g. +4791234567")
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"phone is not a valid number: {exc}") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("phone is not a valid number")
    formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if formatted != value:
        raise ValueError(f"phone must be in E.164 form ({formatted})")
    return formatted


# The pattern is E.164's shape; the validator also refuses numbers no numbering plan has.
Phone = Annotated[str | None, AfterValidator(_e164),
                  WithJsonSchema({"anyOf": [{"type": "string", "pattern": r"^\+[1-9][0-9]{1,14}$"},
                                            {"type": "null"}]})]
Username = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100,
                           pattern=r"^[A-Za-z0-9_.@-]+$")
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginRequest(Strict):
    username: Text = Field(min_length=1, max_length=100)
    password: Text = Field(min_length=1, max_length=1000)


class TokenRead(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime | None = None


class UserCreate(Strict):
    username: Username
    password: Text = Field(description="At least 12 characters, not a common password, not "
                                       "containing the username")
    full_name: Name
    office_id: uuid.UUID | None = None
    roles: list[Role] = Field(min_length=1)
    phone: Phone = None

    @field_validator("password")
    @classmethod
    def _policy(cls, value: str, info: ValidationInfo) -> str:
        return passwords.check(value, username=info.data.get("username"))


class PasswordChange(Strict):
    current_password: Text = Field(min_length=1, max_length=1000)
    new_password: Text = Field(description="At least 12 characters, not a common password, not "
                                           "containing the username")


class PasswordReset(Strict):
    new_password: Text = Field(description="At least 12 characters, not a common password, not "
                                           "containing the username")


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: str
    full_name: str
    office_id: uuid.UUID | None
    roles: list[str]
    phone: str | None


class DeviceCreate(Strict):
    user_id: uuid.UUID
    kind: Literal["desktop", "mobile"]
    room_id: uuid.UUID | None = None
    label: Annotated[Text, StringConstraints(max_length=200)] | None = None


class DeviceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    user_id: uuid.UUID
    kind: str
    room_id: uuid.UUID | None
    label: str | None
    created_at: datetime
    last_seen_at: datetime | None
    last_test_at: datetime | None
    revoked_at: datetime | None


class DeviceEnrolled(DeviceRead):
    token: str
