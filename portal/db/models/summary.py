"""Email summaries (migration 0023): a customer's settings, each send of a report, each message to one
address (an outbox row), and the addresses that unsubscribed."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, Uuid, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from portal.db.models.base import Base, CustomerOwned, new_id

__all__ = ["SummaryDelivery", "SummarySend", "SummarySetting", "SummaryUnsubscribe"]


class SummarySetting(CustomerOwned, Base):
    __tablename__ = "summary_settings"

    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    msp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("msps.id"))
    cadence: Mapped[str] = mapped_column(String(10), server_default="off")  # off | weekly | monthly | quarterly
    include_customer_users: Mapped[bool] = mapped_column(Boolean, server_default="true")
    extra_recipients: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    next_due_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(Text, server_default="unknown")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SummarySend(CustomerOwned, Base):
    __tablename__ = "summary_sends"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    msp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("msps.id"))
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("reports.id"))
    kind: Mapped[str] = mapped_column(String(10))  # scheduled | test
    period: Mapped[str | None] = mapped_column(String(20))
    requested_by: Mapped[str] = mapped_column(Text, server_default="unknown")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SummaryDelivery(CustomerOwned, Base):
    __tablename__ = "summary_deliveries"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    msp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("msps.id"))
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    send_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("summary_sends.id"))
    address: Mapped[str] = mapped_column(Text)
    # Server defaults: the web role inserts a test delivery's own columns only.
    status: Mapped[str] = mapped_column(String(15), server_default="pending")  # pending|sent|gave_up|unsubscribed
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    leased_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    smtp_code: Mapped[int | None] = mapped_column(Integer)
    #: The relay's reply (or the error) of the last attempt, as the delivery log shows it.
    outcome: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SummaryUnsubscribe(CustomerOwned, Base):
    __tablename__ = "summary_unsubscribes"

    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    address: Mapped[str] = mapped_column(Text, primary_key=True)
    msp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("msps.id"))
    unsubscribed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
