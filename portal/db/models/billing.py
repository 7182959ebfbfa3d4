"""Billing (migration 0024): the MSP's tier names and client prices, the operator's rate card, closed
invoices with their lines, and the log of every change of a customer's billing terms."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Integer, Numeric, String, Text, Uuid, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from portal.db.models.base import Base, CustomerOwned, new_id

__all__ = ["BillingChange", "Invoice", "InvoiceLine", "RateCardRow", "ServiceTierName", "TenantDirectory",
           "TenantSelection", "TierPrice"]


class ServiceTierName(Base):
    __tablename__ = "service_tier_names"

    msp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("msps.id"), primary_key=True)
    tier: Mapped[str] = mapped_column(String(20), primary_key=True)  # starter | professional | enterprise
    name: Mapped[str] = mapped_column(Text)


class TierPrice(Base):
    __tablename__ = "tier_prices"

    msp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("msps.id"), primary_key=True)
    tier: Mapped[str] = mapped_column(String(20), primary_key=True)
    client_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))


class RateCardRow(Base):
    __tablename__ = "rate_cards"

    msp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("msps.id"), primary_key=True)
    #: The first of the month it prices from (until a later card's).
    effective_from: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    band_floors: Mapped[list[int]] = mapped_column(ARRAY(Integer))
    band_rates: Mapped[list[Decimal]] = mapped_column(ARRAY(Numeric(12, 4)))
    branding_addon: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    branding_split: Mapped[str] = mapped_column(String(10), server_default="user_days")
    reporting_addon: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    reporting_split: Mapped[str] = mapped_column(String(10), server_default="user_days")
    updated_by: Mapped[str] = mapped_column(Text, server_default="unknown")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Invoice(Base):
    __tablename__ = "invoices"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    msp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("msps.id"))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)  # exclusive
    currency: Mapped[str] = mapped_column(String(3))
    user_days: Mapped[int] = mapped_column(BigInteger)
    average_users: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    band_rate: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    usage_total: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    addons_total: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    total: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    rate_card: Mapped[dict[str, Any]] = mapped_column(JSONB)
    closed_by: Mapped[str] = mapped_column(Text, server_default="unknown")
    closed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class InvoiceLine(CustomerOwned, Base):
    __tablename__ = "invoice_lines"

    invoice_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    msp_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    customer_name: Mapped[str] = mapped_column(Text)
    service_tier: Mapped[str] = mapped_column(String(20))
    days: Mapped[int] = mapped_column(Integer)
    user_days: Mapped[int] = mapped_column(BigInteger)
    usage_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    addon_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    #: What the MSP charged its client for the same user-days, at closing (None: no price for its tier).
    client_amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))


class BillingChange(CustomerOwned, Base):
    __tablename__ = "billing_changes"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    msp_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    field: Mapped[str] = mapped_column(String(20))  # service_tier | seat_limit | licence_type | removed
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(Text)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TenantDirectory(CustomerOwned, Base):
    """A tenant's verified domains and groups as its latest full scan read them (migration 0026)."""

    __tablename__ = "tenant_directories"

    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    msp_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    domains: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    groups: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    scan_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    refreshed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class TenantSelection(CustomerOwned, Base):
    """One domain or group of a host's tenant that belongs to one of its billing customers."""

    __tablename__ = "tenant_selections"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    msp_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)  # the host: the tenant this is a part of
    billing_customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(10))  # domain | group
    value: Mapped[str] = mapped_column(Text)  # a domain name or a group id, lower case
    label: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(Text, server_default="unknown")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
