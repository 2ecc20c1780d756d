"""Small input types shared by the request schemas.

Each type refuses exactly what its JSON Schema says is invalid, so that the OpenAPI document
tells a client the truth: text without NUL (and, for names, not blank), times as ISO 8601
text with a UTC offset (never a number), and numbers and booleans of their JSON type only.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    GetJsonSchemaHandler,
    StrictBool,
    StrictFloat,
    StringConstraints,
)
from pydantic_core import PydanticCustomError, core_schema

# What pydantic strips from text (Unicode White_Space), spelled out so that every regular
# expression engine reads the schema's patterns alike.
_SPACE = r"\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NUL_FREE = r"^[^\x00]*$"
NOT_BLANK = rf"^[^\x00]*[^\x00{_SPACE}][^\x00]*$"
# RFC 3339 date-time, what JSON Schema's `date-time` format means.
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


@dataclass(frozen=True)
class SchemaPattern:
    """Says in the JSON Schema what a validator beside it enforces."""

    pattern: str

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> dict[str, Any]:
        json_schema = handler(schema)
        json_schema["pattern"] = self.pattern
        return json_schema


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and no name or note needs one.
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    return value


def _iso_time(value: Any) -> Any:
    """Only RFC 3339 text becomes a time: pydantic alone would read 0.5 as 1970-01-01."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise PydanticCustomError(
            "datetime_format",
            "time must be ISO 8601 text with a UTC offset, e.g. 2026-05-01T10:00:00+02:00")
    return value


def _utc_representable(value: datetime) -> datetime:
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("time is out of range") from None
    return value


Text = Annotated[str, AfterValidator(_no_nul), SchemaPattern(NUL_FREE)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
                 AfterValidator(_no_nul), SchemaPattern(NOT_BLANK)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000),
                 AfterValidator(_no_nul), SchemaPattern(NUL_FREE)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000),
                   AfterValidator(_no_nul), SchemaPattern(NOT_BLANK)]
Time = Annotated[AwareDatetime, BeforeValidator(_iso_time), AfterValidator(_utc_representable)]
def json_integer(value: Any) -> Any:
    """JSON Schema's integer: 5 and 5.0, never true or "5"."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


# In JSON bodies: true is not 1, 1 is not true, and "5" is not a number.
Int = Annotated[int, BeforeValidator(json_integer)]
Float = StrictFloat
Bool = StrictBool


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def may_omit(**constraints: Any) -> Any:
    """A field the client may leave out, but not send as null (a PATCH that changes nothing of
    it): the schema shows its type without `null`, and pydantic refuses a null."""
    return Field(None, json_schema_extra=_no_default, **constraints)
