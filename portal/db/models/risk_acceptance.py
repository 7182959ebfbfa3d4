"""A failing check accepted for one tenant, with a reason and an expiry (migration 0015).

Written only through the definer functions ``posture_accept_risk`` and ``posture_revoke_risk``, which
check who asks and take ``accepted_by`` / ``revoked_by`` from the signed scope. An acceptance stands
while it is neither revoked nor expired; ``lapsed_at`` is when the worker rescored its customer after
it expired.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import DateTime, ForeignKey, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from portal.db.models.base import Base, CustomerOwned, created_at_column, new_id

__all__ = ["RiskAcceptance"]


class RiskAcceptance(CustomerOwned, Base):
    __tablename__ = "risk_acceptances"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    msp_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    check_id: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    accepted_by: Mapped[str] = mapped_column(String(320))
    accepted_at: Mapped[dt.datetime] = created_at_column()
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[str | None] = mapped_column(String(320))
    lapsed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
