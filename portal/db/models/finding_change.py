"""One change of a check's verdict for one tenant, as a scan observed it: the drift log (migration 0017).

Written by ``record_scan`` in the transaction that updates the projection, and never changed after.
``from_status`` is the check's last settled verdict (``pass`` or ``fail``; None when it had none).
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import DateTime, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from portal.db.models.base import Base, CustomerOwned, new_id

__all__ = ["ChangeKind", "FindingChange"]


class ChangeKind(enum.StrEnum):
    NEW = "new"  # failing, and never seen failing or passing before
    REGRESSED = "regressed"  # was passing, fails now
    FIXED = "fixed"  # was failing, passes now
    UNREADABLE = "unreadable"  # the scan could not evaluate it (its verdict stands as it was)


class FindingChange(CustomerOwned, Base):
    __tablename__ = "finding_changes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    msp_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    check_id: Mapped[str] = mapped_column(String(120))
    scan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"))
    observed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(10))
