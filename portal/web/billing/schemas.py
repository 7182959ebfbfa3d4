"""What ``/api/v1/billing`` answers and takes: one struct per direction. Amounts are decimal strings."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec

__all__ = ["BillingChangeOut", "BillingChangesOut", "InvoiceSummaryOut", "InvoicesOut", "RateCardIn",
           "RateCardOut", "SeatOut", "SeatsOut", "TermsIn"]


class SeatOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    managed_users: int | None  # None: no scan has read the users yet
    seat_limit: int | None  # None: unlimited
    status: str  # ok | over_limit | unlimited
    licence_type: str  # per_user | custom
    service_tier: str  # starter | professional | enterprise
    service_tier_name: str
    onboarded_at: dt.datetime
    last_activity_at: dt.datetime | None
    suspended: bool


class SeatsOut(msgspec.Struct):
    customers: list[SeatOut]
    total_licensed_users: int
    seat_capacity: int | None  # None: some customer is unlimited
    over_limit: int


class TermsIn(msgspec.Struct):
    """Only what is given changes; ``seat_limit: null`` sets it unlimited."""

    seat_limit: int | msgspec.UnsetType | None = msgspec.UNSET
    service_tier: str | None = None
    licence_type: str | None = None


class InvoiceSummaryOut(msgspec.Struct):
    id: uuid.UUID
    period: dict[str, str]
    currency: str
    total: str
    user_days: int
    closed_at: dt.datetime


class InvoicesOut(msgspec.Struct):
    invoices: list[InvoiceSummaryOut]


class BillingChangeOut(msgspec.Struct):
    customer: dict[str, str]
    field: str
    old_value: str | None
    new_value: str | None
    actor: str
    changed_at: dt.datetime


class BillingChangesOut(msgspec.Struct):
    changes: list[BillingChangeOut]


class BandIO(msgspec.Struct):
    from_users: int
    rate: str


class AddOnIO(msgspec.Struct):
    key: str  # branding | reporting
    monthly: str
    split: str = "user_days"  # user_days | equal


class RateCardIn(msgspec.Struct):
    """``effective_from``: the first of this month (reprices the running invoice) or of a later one;
    default: next month's."""

    currency: str
    bands: list[BandIO]
    addons: list[AddOnIO] = msgspec.field(default_factory=list)
    effective_from: dt.date | None = None


class RateCardOut(msgspec.Struct):
    msp: dict[str, Any]
    currency: str
    bands: list[BandIO]
    addons: list[AddOnIO]
