"""Declarative base and the column types every table shares."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import DateTime, MetaData, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = ["Base", "CustomerOwned", "created_at_column", "new_id"]

# Stable constraint names, so migrations can drop what they created.
_NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def created_at_column() -> Mapped[dt.datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=_NAMING)


class CustomerOwned:
    """Marker for tables whose rows belong to one customer of one MSP.

    Every such table has ``msp_id`` and ``customer_id`` and gets row-level security, enabled and
    forced, in the migration that creates it (tests/portal/test_isolation.py proves it).
    """
