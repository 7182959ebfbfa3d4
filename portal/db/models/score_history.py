"""One score per customer per day (the last scan of the day wins): the trend line."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Date, Float, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from portal.db.models.base import Base, CustomerOwned

__all__ = ["ScoreHistory"]


class ScoreHistory(CustomerOwned, Base):
    __tablename__ = "score_history"

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    msp_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    scan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"))
    score: Mapped[float | None] = mapped_column(Float)
    grade: Mapped[str | None] = mapped_column(String(2))
    coverage: Mapped[float] = mapped_column(Float)
