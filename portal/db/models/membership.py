"""What a user may see and do: a role in one MSP, optionally limited to one customer or to tags."""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import ARRAY, Enum, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from portal.db.models.base import Base, created_at_column, new_id

__all__ = ["Membership", "Role"]


class Role(enum.StrEnum):
    MSP_ADMIN = "msp_admin"
    MSP_ANALYST = "msp_analyst"
    CUSTOMER_ADMIN = "customer_admin"
    CUSTOMER_VIEWER = "customer_viewer"


class Membership(Base):
    """MSP roles have ``customer_id`` NULL (an analyst may be limited by ``tags``); customer roles
    name their customer. Scoped by ``msp_id`` under row-level security."""

    __tablename__ = "memberships"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    msp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("msps.id"), index=True)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("customers.id"), index=True)
    role: Mapped[Role] = mapped_column(Enum(Role, name="role", values_callable=lambda e: [m.value for m in e]))
    tags: Mapped[list[str]] = mapped_column(ARRAY(String), default=list)
    created_at: Mapped[dt.datetime] = created_at_column()
