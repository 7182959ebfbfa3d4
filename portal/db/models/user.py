"""A person who signs in to the portal (MSP staff or customer staff)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from portal.db.models.base import Base, created_at_column, new_id

__all__ = ["User"]


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    #: argon2 hash (set by the accounts service of the portal issue); never the password.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_platform_operator: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = created_at_column()
