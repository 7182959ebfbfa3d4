"""One scan of one customer tenant: why it ran, how it went, what it cost."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import ARRAY, DateTime, Enum, Float, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from portal.db.models.base import Base, CustomerOwned, created_at_column, new_id

__all__ = ["Scan", "ScanStatus", "ScanTrigger"]


class ScanTrigger(enum.StrEnum):
    MANUAL = "manual"
    SCHEDULE = "schedule"
    ONBOARDING = "onboarding"
    REVERIFY = "reverify"  # a few checks again, from a fleet search (migration 0016)


class ScanStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    PARTIAL = "partial"  # some checks could not be evaluated
    DISCONNECTED = "disconnected"  # the tenant could not be reached
    FAILED = "failed"  # the scan itself failed (dead-lettered); ``failure_reason`` says why

    @property
    def is_final(self) -> bool:
        return self not in (ScanStatus.QUEUED, ScanStatus.RUNNING)


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e])


class Scan(CustomerOwned, Base):
    __tablename__ = "scans"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    msp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("msps.id"))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), index=True)
    trigger: Mapped[ScanTrigger] = mapped_column(_enum(ScanTrigger, "scan_trigger"))
    status: Mapped[ScanStatus] = mapped_column(_enum(ScanStatus, "scan_status"), server_default=ScanStatus.QUEUED.value)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    queued_at: Mapped[dt.datetime] = created_at_column()
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    #: When the schedule last re-sent this scan's message (a lost message), and how many times it did.
    resent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    resend_count: Mapped[int] = mapped_column(Integer, server_default="0")
    request_count: Mapped[int | None] = mapped_column(Integer)
    duration_s: Mapped[float | None] = mapped_column(Float)
    partial: Mapped[bool | None] = mapped_column()
    score: Mapped[float | None] = mapped_column(Float)
    grade: Mapped[str | None] = mapped_column(String(2))
    coverage: Mapped[float | None] = mapped_column(Float)
    #: The checks a partial scan runs; None for the whole catalogue (migration 0016).
    check_ids: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    reverify_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("reverify_runs.id"))
    #: The tenant in figures as this scan read them (``scanner._environment``; migration 0022).
    environment: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
