"""The latest result per (customer, check): what the fleet page and cross-tenant search read.

Kept by the scans service in the same transaction that stores a scan's results, so it is never
ahead of or behind the history. It carries the latest evidence and affected objects too, so a
cross-tenant search filters on them without reading the history. ``first_seen_at`` is when the
check was first evaluated for this customer; ``status_since`` is when its current status began (a
regression or a fix resets it).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from portal.db.models.base import Base, CustomerOwned

__all__ = ["LatestResult"]


class LatestResult(CustomerOwned, Base):
    __tablename__ = "latest_results"
    __table_args__ = (Index("ix_latest_results_check_status", "msp_id", "check_id", "status"),
                      Index("ix_latest_results_severity_status", "msp_id", "severity", "status"))

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    check_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    msp_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    scan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20))
    previous_status: Mapped[str | None] = mapped_column(String(20))
    #: The last verdict that was ``pass`` or ``fail`` (migration 0017): drift compares against it, so a
    #: failing check that could not be read for one scan has not "changed" when it fails again.
    settled_status: Mapped[str | None] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(10))
    #: The severity it counts with under the customer's baseline; None: the baseline leaves it out
    #: (migration 0019; kept by the worker's rescore).
    scored_severity: Mapped[str | None] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(Text)
    affected_count: Mapped[int] = mapped_column(Integer, default=0)
    first_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    status_since: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    #: The latest result's evidence and affected objects (migration 0015), for cross-tenant search;
    #: ``affected_keys`` holds the affected objects lower-cased (addresses compare without case).
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    affected: Mapped[list[str]] = mapped_column(JSONB, default=list)
    affected_keys: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
