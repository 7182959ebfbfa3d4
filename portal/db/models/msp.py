"""An MSP: the service's customer, owner of many customer tenants."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import DateTime, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from portal.db.models.base import Base, created_at_column, new_id

__all__ = ["Msp"]


class Msp(Base):
    __tablename__ = "msps"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    created_at: Mapped[dt.datetime] = created_at_column()
    #: Suspended by the platform operator: no scans, its people read only (migration 0025).
    suspended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    suspended_by: Mapped[str | None] = mapped_column(Text)
