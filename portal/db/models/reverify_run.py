"""One re-verify: the checks of a search's answer run again on every tenant it named (migration 0016).

Its progress is its scans' (``scans.reverify_id``); ``skipped`` counts the tenants it did not queue
(not connected, a scan already under way, or a tier that does not allow scans).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ARRAY, ForeignKey, Integer, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from portal.db.models.base import Base, created_at_column, new_id

__all__ = ["ReverifyRun"]


class ReverifyRun(Base):
    __tablename__ = "reverify_runs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    msp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("msps.id"))
    created_by: Mapped[str] = mapped_column(Text)
    query: Mapped[str] = mapped_column(Text)
    check_ids: Mapped[list[str]] = mapped_column(ARRAY(Text))
    tenants: Mapped[int] = mapped_column(Integer)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = created_at_column()
