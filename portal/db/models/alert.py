"""Alerts (migration 0018): an MSP's channels and rules, the alerts raised, and their deliveries."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, Text, Uuid, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from portal.db.models.base import Base, CustomerOwned, created_at_column, new_id

__all__ = ["Alert", "AlertChannel", "AlertDelivery", "AlertRule", "ChannelKind", "Condition"]


class ChannelKind(enum.StrEnum):
    EMAIL = "email"
    TEAMS = "teams"
    SLACK = "slack"
    WEBHOOK = "webhook"  # generic, signed with HMAC-SHA256


class Condition(enum.StrEnum):
    NEW_CRITICAL = "new_critical"  # a critical check newly failing (new or regressed), per check
    SCORE_DROP = "score_drop"  # the score fell more than ``threshold`` points in one scan
    REGRESSED = "regressed"  # a check that passed fails again, per check
    CONNECTION_LOST = "connection_lost"  # the tenant went disconnected
    SCAN_FAILING = "scan_failing"  # ``threshold`` scans in a row failed


class AlertChannel(Base):
    __tablename__ = "alert_channels"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    msp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("msps.id"))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    #: The addresses or URL, sealed (``portal.services.sealing``); ``target_hint`` is what pages show.
    target_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    secret_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    target_hint: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = created_at_column()
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class AlertRule(Base):
    __tablename__ = "alert_rules"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    msp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("msps.id"))
    condition: Mapped[str] = mapped_column(String(30))
    threshold: Mapped[int | None] = mapped_column(Integer)
    tag: Mapped[str | None] = mapped_column(String(50))
    channel_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alert_channels.id"))
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = created_at_column()
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Alert(CustomerOwned, Base):
    __tablename__ = "alerts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    msp_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id"))
    rule_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alert_rules.id"))
    condition: Mapped[str] = mapped_column(String(30))
    check_id: Mapped[str] = mapped_column(String(120), default="")
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    cleared_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class AlertDelivery(Base):
    __tablename__ = "alert_deliveries"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    msp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("msps.id"))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    alert_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("alerts.id"))
    channel_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alert_channels.id"))
    event: Mapped[str] = mapped_column(String(10))
    # Server defaults, not Python ones: the web role may insert only a test delivery's own columns.
    status: Mapped[str] = mapped_column(String(10), server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: When the tick last handed it to a worker (migration 0021): attempted since, it is not sent again.
    leased_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    response_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = created_at_column()
