"""A customer of an MSP: one Microsoft 365 tenant, its connection state, tier and schedule."""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import (
    ARRAY,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal.db.models.base import Base, CustomerOwned, created_at_column, new_id

__all__ = ["AccessTier", "ConnectionState", "Customer"]


class ConnectionState(enum.StrEnum):
    PENDING_CONSENT = "pending_consent"
    CONNECTED = "connected"
    DEGRADED = "degraded"  # reachable, but permissions or the Exchange role are missing
    DISCONNECTED = "disconnected"  # consent revoked, app disabled or deleted, tenant gone


class AccessTier(enum.StrEnum):
    """What the MSP may do for this customer (DESIGN.md "Roles"); the effective right is the lower of
    the user's role and this tier."""

    MONITOR = "monitor"
    OPERATE = "operate"
    MANAGE = "manage"


class Customer(CustomerOwned, Base):
    __tablename__ = "customers"
    # One tenant is one customer of one MSP (migration 0002).
    __table_args__ = (UniqueConstraint("tenant_id"), UniqueConstraint("msp_id", "id"))

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    msp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("msps.id"), index=True)
    #: Equal to ``id``: every customer-owned table has a customer_id, this one included, so one RLS
    #: policy shape covers them all.
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    tenant_id: Mapped[str | None] = mapped_column(String(64), comment="Entra tenant id (GUID); set at consent")
    default_domain: Mapped[str | None] = mapped_column(String(255))
    connection_state: Mapped[ConnectionState] = mapped_column(
        Enum(ConnectionState, name="connection_state", values_callable=lambda e: [m.value for m in e]),
        default=ConnectionState.PENDING_CONSENT,
    )
    connection_reason: Mapped[str | None] = mapped_column(Text)
    missing_permissions: Mapped[list[str]] = mapped_column(ARRAY(String), default=list)
    #: Hard failures (consent revoked, tenant gone) in a row; two flip the state to disconnected.
    hard_failures: Mapped[int] = mapped_column(Integer, default=0)
    #: Failing checks of the projection, kept by record_scan (migration 0012): the fleet page's figures.
    open_critical: Mapped[int] = mapped_column(Integer, default=0)
    open_high: Mapped[int] = mapped_column(Integer, default=0)
    new_failing: Mapped[int] = mapped_column(Integer, default=0)
    #: The last finished scan and the last scored one, kept with them (migration 0012).
    last_scan_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_scan_status: Mapped[str | None] = mapped_column(
        Enum("queued", "running", "completed", "partial", "disconnected", "failed", name="scan_status",
             create_type=False))
    score: Mapped[float | None] = mapped_column(Float)
    grade: Mapped[str | None] = mapped_column(String(2))
    coverage: Mapped[float | None] = mapped_column(Float)
    scored_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    access_tier: Mapped[AccessTier] = mapped_column(
        Enum(AccessTier, name="access_tier", values_callable=lambda e: [m.value for m in e]),
        default=AccessTier.OPERATE,
    )
    #: Billing terms (migration 0024): starter | professional | enterprise; no seat limit = unlimited;
    #: per_user | custom. Changed only through ``posture_set_billing_terms``, every change logged.
    service_tier: Mapped[str] = mapped_column(String(40), default="professional")
    seat_limit: Mapped[int | None] = mapped_column(Integer)
    licence_type: Mapped[str] = mapped_column(String(10), default="per_user", server_default="per_user")
    #: Removed from the service: billed up to the day before, no longer scanned (migration 0024).
    removed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: The platform operator's hold (migration 0025): it sets ``suspended_at`` too, and only the operator lifts it.
    operator_suspended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    operator_suspended_by: Mapped[str | None] = mapped_column(Text)
    #: A billing customer sharing this host's tenant (migration 0026): no tenant of its own, its managed users
    #: the part of the host's its selections name.
    billing_host_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    tags: Mapped[list[str]] = mapped_column(ARRAY(String), default=list)
    #: Emergency-access users or groups Conditional Access policies may exclude (migration 0013).
    break_glass_ids: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    scan_interval_hours: Mapped[int] = mapped_column(Integer, default=24)
    #: Scheduled scans start between these hours of ``scan_timezone`` (both NULL: any time; migration 0017).
    scan_window_start: Mapped[int | None] = mapped_column(SmallInteger)
    scan_window_end: Mapped[int | None] = mapped_column(SmallInteger)
    scan_timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    #: The baseline its score was last read against (migration 0019; None: the whole catalogue).
    baseline_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    baseline_name: Mapped[str | None] = mapped_column(Text)
    #: A suspended customer is not scanned, by schedule or by hand (migration 0017).
    suspended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    suspended_by: Mapped[str | None] = mapped_column(Text)
    #: Microsoft asked us to wait until then (429 with Retry-After); every worker holds off (migration 0016).
    throttled_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    next_scan_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    created_at: Mapped[dt.datetime] = created_at_column()
    last_activity_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
