"""Small input types shared by the request schemas."""

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, StringConstraints


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and no name or note needs one.
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    return value


def _utc_representable(value: datetime) -> datetime:
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("time is out of range") from None
    return value


Text = Annotated[str, AfterValidator(_no_nul)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
                 AfterValidator(_no_nul)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000),
                 AfterValidator(_no_nul)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000),
                   AfterValidator(_no_nul)]
Time = Annotated[AwareDatetime, AfterValidator(_utc_representable)]
