"""Append-only audit trail: who did what to which customer. The application roles may insert and
read; updates and deletes are refused by grants and by a trigger (migration 0001); the actor and
the time are set by the database (migration 0002)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import BigInteger, FetchedValue, Identity, String, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from portal.db.models.base import Base, CustomerOwned, created_at_column

__all__ = ["AuditEvent"]


class AuditEvent(CustomerOwned, Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    msp_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    #: Set by the database from the signed scope (migration 0002), never by the caller.
    actor: Mapped[str] = mapped_column(String(320), server_default=FetchedValue(),
                                       comment="user email, or system:<component>")
    action: Mapped[str] = mapped_column(String(80))
    target: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[dt.datetime] = created_at_column()
