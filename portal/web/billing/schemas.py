"""What ``/api/v1/billing`` answers and takes: one struct per direction. Amounts are decimal strings."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

import msgspec

__all__ = ["BillingChangeOut", "BillingChangesOut", "InvoiceSummaryOut", "InvoicesOut", "RateCardIn",
           "RateCardOut", "SeatOut", "SeatsOut", "TermsIn", "TiersIn"]


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


#: One line of printable text (tabs aside, as portal.services.plain_text allows) with something in it.
_Name = Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=(
    r"^[^\x00-\x08\x0a-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x08\x0a-\x1f\x7f-\x9f]*$"))]
_Price = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{1,5}(\.[0-9]{1,2})?$", description="per user per month")]


class TierNamesIn(msgspec.Struct):
    starter: _Name
    professional: _Name
    enterprise: _Name


class TierPricesIn(msgspec.Struct):
    """What the MSP charges its clients per managed user per month on each tier; null clears it."""

    starter: _Price | None = None
    professional: _Price | None = None
    enterprise: _Price | None = None


class TiersIn(msgspec.Struct):
    names: TierNamesIn
    client_prices: TierPricesIn = msgspec.field(default_factory=TierPricesIn)


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
