import uuid
from datetime import date, datetime

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

RETENTION_JOB = "retention"
# Every person reference of an anonymised alarm points here: one inactive account with no
# office, no roles and no usable password, so foreign keys hold and nobody is named.
ANONYMOUS_USER_ID = uuid.UUID("00000000-0000-4000-8000-00000000a000")
ANONYMOUS_USERNAME = "_anonymised"
ANONYMOUS_NAME = "Anonymisert"


class JobRun(Base):
    """The last day a daily job ran, one row per job, so that several server processes and
    restarts run it once a day (the claim is a conditional UPDATE of this row)."""

    __tablename__ = "job_run"

    job: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_run_on: Mapped[date | None] = mapped_column(Date)
    last_run_at: Mapped[datetime | None]
    runs: Mapped[int] = mapped_column(default=0)
