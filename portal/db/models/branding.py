"""How an MSP's outputs look (migration 0022): one MSP-wide row (``customer_id`` None), one per customer
at most, the customer's used while ``use_own`` is on."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, DateTime, ForeignKey, LargeBinary, String, Text, Uuid, func
from sqlalchemy.orm import Mapped, mapped_column

from portal.db.models.base import Base, CustomerOwned, new_id

__all__ = ["Branding"]


class Branding(CustomerOwned, Base):
    __tablename__ = "brandings"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    msp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("msps.id"))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    display_name: Mapped[str] = mapped_column(String(100))
    primary_colour: Mapped[str] = mapped_column(String(7))
    accent_colour: Mapped[str] = mapped_column(String(7))
    contact_line: Mapped[str] = mapped_column(Text, server_default="")
    #: As the portal rewrote it (``portal.services.branding._logo``): PNG or sanitised SVG.
    logo: Mapped[bytes | None] = mapped_column(LargeBinary)
    logo_type: Mapped[str | None] = mapped_column(String(20))
    use_own: Mapped[bool] = mapped_column(Boolean, server_default="false")
    updated_by: Mapped[str] = mapped_column(Text, server_default="unknown")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
