"""A version of a report with its PDF (migration 0022): a customer's executive report of one scan, or
the MSP's fleet report (``customer_id`` None). Requested by people, rendered by workers, never changed."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import DateTime, Float, ForeignKey, Integer, LargeBinary, String, Text, Uuid, func
from sqlalchemy.orm import Mapped, deferred, mapped_column

from portal.db.models.base import Base, CustomerOwned, new_id

__all__ = ["Report"]


class Report(CustomerOwned, Base):
    __tablename__ = "reports"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    msp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("msps.id"))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    scan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("scans.id"))
    kind: Mapped[str] = mapped_column(String(20))  # executive | fleet
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), server_default="queued")  # queued | ready | failed
    note: Mapped[str] = mapped_column(Text, server_default="")
    tag: Mapped[str | None] = mapped_column(String(50))
    requested_by: Mapped[str] = mapped_column(Text, server_default="unknown")
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    rendered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    #: Loaded only when asked for: a list of reports never reads their PDFs.
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    pages: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float)
    grade: Mapped[str | None] = mapped_column(String(2))
