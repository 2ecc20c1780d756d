import uuid

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

DEFAULT_TEST_INTERVAL_DAYS = 30


class ReadinessPolicy(Base):
    """An office's readiness settings beyond the contract's Office fields."""

    __tablename__ = "office_readiness_policy"

    office_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("office.id"), primary_key=True)
    test_interval_days: Mapped[int] = mapped_column(default=DEFAULT_TEST_INTERVAL_DAYS)
