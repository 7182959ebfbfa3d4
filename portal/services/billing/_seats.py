"""Seats and terms: each customer's managed users against its seat limit, its service tier and licence
type; the MSP admin's changes of them (logged by the database with who, when, old and new).

Over limit is a signal, never a block: nothing reads the status to stop a scan, a report or a page.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from portal.db.models import BillingChange, Customer, ServiceTierName
from portal.db.uow import UnitOfWork
from portal.services.billing._usage import latest_managed_users
from portal.services.errors import Forbidden, InvalidInput, NotFound
from portal.services.plain_text import plain_line

__all__ = ["LICENCE_TYPES", "SEAT_SORTS", "TIERS", "BillingChangeView", "SeatRow", "SeatsView", "TierNames",
           "billing_changes", "remove_customer", "seats_view", "set_terms", "set_tier_names", "tier_names"]

TIERS = ("starter", "professional", "enterprise")
_DEFAULT_NAMES = {"starter": "Starter", "professional": "Professional", "enterprise": "Enterprise"}
LICENCE_TYPES = {"per_user": "Standard (per user)", "custom": "Custom"}
SeatStatus = Literal["ok", "over_limit", "unlimited"]
#: Sorts of the seats table and the billing overview: key -> what it reads.
SEAT_SORTS = ("name", "tier", "-tier", "activity", "-activity", "onboarded", "-onboarded", "users", "-users",
              "usage")


@dataclass(frozen=True)
class TierNames:
    names: dict[str, str]

    def __getitem__(self, tier: str) -> str:
        return self.names.get(tier, tier)


@dataclass(frozen=True)
class SeatRow:
    customer_id: uuid.UUID
    name: str
    managed_users: int | None  # None: no scan has read the users yet
    seat_limit: int | None
    licence_type: str
    service_tier: str
    onboarded_at: dt.datetime
    last_activity_at: dt.datetime | None
    suspended: bool
    removed_at: dt.datetime | None
    held: bool = False  # suspended by the platform operator (only the operator lifts it)
    #: A billing customer sharing another customer's tenant: that host (id, name).
    host: tuple[uuid.UUID, str] | None = None
    #: A shared tenant's host: how many billing customers share it.
    shared_with: int = 0

    @property
    def status(self) -> SeatStatus:
        if self.seat_limit is None:
            return "unlimited"
        return "over_limit" if (self.managed_users or 0) > self.seat_limit else "ok"

    @property
    def usage_share(self) -> float | None:
        """Managed users as a share of the limit (may pass 1.0), for the usage bar."""
        if self.seat_limit is None:
            return None
        if self.seat_limit == 0:
            return 1.0 if not self.managed_users else 2.0
        return (self.managed_users or 0) / self.seat_limit


@dataclass(frozen=True)
class SeatsView:
    rows: list[SeatRow]
    tier_names: TierNames

    @property
    def active(self) -> list[SeatRow]:
        return [r for r in self.rows if r.removed_at is None]

    @property
    def customers(self) -> int:
        return len(self.active)

    @property
    def licensed_users(self) -> int:
        return sum(r.managed_users or 0 for r in self.active)

    @property
    def capacity(self) -> int | None:
        """The seat limits added up; None when any customer is unlimited."""
        limits = [r.seat_limit for r in self.active]
        return None if any(limit is None for limit in limits) else sum(limits)  # type: ignore[misc]

    @property
    def over_limit(self) -> int:
        return sum(r.status == "over_limit" for r in self.active)


def tier_names(uow: UnitOfWork) -> TierNames:
    found = {row.tier: row.name for row in uow.session.scalars(select(ServiceTierName))}
    return TierNames({tier: found.get(tier, _DEFAULT_NAMES[tier]) for tier in TIERS})


def set_tier_names(uow: UnitOfWork, names: dict[str, str]) -> TierNames:
    """Raises InvalidInput for a blank or long name, Forbidden when the caller is not an MSP admin."""
    cleaned = {}
    for tier in TIERS:
        # Printable text only (no control character, which PostgreSQL's text would refuse or a page show).
        name = " ".join(plain_line(names.get(tier) or "", f"the {_DEFAULT_NAMES[tier]} tier's name",
                                   max_length=40).split())
        if not 1 <= len(name) <= 40:
            raise InvalidInput(f"the {_DEFAULT_NAMES[tier]} tier needs a name of 1 to 40 characters")
        cleaned[tier] = name
    try:
        with uow.session.begin_nested():
            for tier, name in cleaned.items():
                uow.session.execute(text(
                    "INSERT INTO service_tier_names (msp_id, tier, name) VALUES (:m, :t, :n) "
                    "ON CONFLICT (msp_id, tier) DO UPDATE SET name = EXCLUDED.name"),
                    {"m": uow.scope.msp_id, "t": tier, "n": name})
    except DBAPIError as exc:
        if "row-level security" in str(exc.orig):
            raise Forbidden("only the MSP's admins name its service tiers") from None
        raise
    return TierNames(cleaned)


def seats_view(uow: UnitOfWork, *, q: str = "", sort: str = "name", include_removed: bool = False) -> SeatsView:
    """Every customer in scope with its seats and terms; ``q`` filters by name, ``sort`` is one of
    ``SEAT_SORTS``."""
    users = latest_managed_users(uow)
    customers = uow.session.scalars(select(Customer)).all()
    names = {c.id: c.name for c in customers}
    sharing = Counter(c.billing_host_id for c in customers if c.billing_host_id and c.removed_at is None)
    rows = [SeatRow(c.id, c.name, users.get(c.id), c.seat_limit, c.licence_type, c.service_tier, c.created_at,
                    c.last_activity_at, c.suspended_at is not None, c.removed_at, c.operator_suspended_at is not None,
                    (c.billing_host_id, names.get(c.billing_host_id, "another customer")) if c.billing_host_id
                    else None, sharing.get(c.id, 0))
            for c in customers if include_removed or c.removed_at is None]
    needle = q.strip().lower()
    if needle:
        rows = [r for r in rows if needle in r.name.lower()]
    rows.sort(key=lambda r: (r.name.lower(), str(r.customer_id)))
    key, reverse = sort.lstrip("-"), sort.startswith("-")
    never = dt.datetime.min.replace(tzinfo=dt.UTC)
    if key == "tier":
        rows.sort(key=lambda r: TIERS.index(r.service_tier) if r.service_tier in TIERS else 99, reverse=reverse)
    elif key == "activity":  # most recent first unless reversed
        rows.sort(key=lambda r: r.last_activity_at or never, reverse=not reverse)
    elif key == "onboarded":
        rows.sort(key=lambda r: r.onboarded_at, reverse=not reverse)
    elif key == "users":
        rows.sort(key=lambda r: r.managed_users or 0, reverse=not reverse)
    elif key == "usage":
        rows.sort(key=lambda r: -1.0 if r.usage_share is None else r.usage_share, reverse=True)
    elif key != "name":
        raise InvalidInput(f"sort by one of {', '.join(SEAT_SORTS)}")
    return SeatsView(rows, tier_names(uow))


def set_terms(uow: UnitOfWork, customer_id: uuid.UUID, *, service_tier: str | None = None,
              seat_limit: int | Literal["keep"] | None = "keep", licence_type: str | None = None) -> SeatRow:
    """Change a customer's tier, seat limit (None: unlimited) or licence type; what is not given stays.

    Raises:
        NotFound: no such customer in scope (or removed).
        InvalidInput: an unknown tier or licence type, a negative or absurd limit.
        Forbidden: the caller is not an MSP admin (the database refused).
    """
    customer = uow.session.get(Customer, customer_id)
    if customer is None or customer.removed_at is not None:
        raise NotFound(f"customer {customer_id} not found")
    tier = service_tier if service_tier is not None else customer.service_tier
    licence = licence_type if licence_type is not None else customer.licence_type
    limit = customer.seat_limit if seat_limit == "keep" else seat_limit
    if tier not in TIERS:
        raise InvalidInput(f"the service tier is one of {', '.join(TIERS)}")
    if licence not in LICENCE_TYPES:
        raise InvalidInput(f"the licence type is one of {', '.join(LICENCE_TYPES)}")
    if limit is not None and not 0 <= limit <= 10_000_000:
        raise InvalidInput("a seat limit is a whole number from 0 to 10,000,000, or blank for unlimited")
    _call(uow, "SELECT posture_set_billing_terms(:c, :t, :l, :k)", {"c": customer_id, "t": tier, "l": limit,
                                                                    "k": licence})
    uow.session.expire(customer)
    return _row(uow, customer_id)


def remove_customer(uow: UnitOfWork, customer_id: uuid.UUID) -> None:
    """End a customer's service: billed up to yesterday, no longer scanned; its history stays."""
    customer = uow.session.get(Customer, customer_id)
    if customer is None or customer.removed_at is not None:
        raise NotFound(f"customer {customer_id} not found")
    _call(uow, "SELECT posture_remove_customer(:c)", {"c": customer_id})
    uow.session.expire(customer)


def _call(uow: UnitOfWork, statement: str, params: dict[str, object]) -> None:
    try:
        with uow.session.begin_nested():
            uow.session.execute(text(statement), params)
    except DBAPIError as exc:
        if "not yours to bill" in str(exc.orig):
            raise Forbidden("only the MSP's admins change a customer's billing terms") from None
        raise


def _row(uow: UnitOfWork, customer_id: uuid.UUID) -> SeatRow:
    return next(r for r in seats_view(uow, include_removed=True).rows if r.customer_id == customer_id)


@dataclass(frozen=True)
class BillingChangeView:
    customer_id: uuid.UUID
    customer_name: str
    field: str
    old_value: str | None
    new_value: str | None
    actor: str
    changed_at: dt.datetime


def billing_changes(uow: UnitOfWork, *, customer_id: uuid.UUID | None = None,
                    limit: int = 200) -> list[BillingChangeView]:
    """The newest changes of billing terms first (MSP admins and the operator; others see none)."""
    query = (select(BillingChange, Customer.name).join(Customer, Customer.id == BillingChange.customer_id)
             .order_by(BillingChange.changed_at.desc(), BillingChange.id.desc()).limit(limit))
    if customer_id is not None:
        query = query.where(BillingChange.customer_id == customer_id)
    return [BillingChangeView(c.customer_id, name, c.field, c.old_value, c.new_value, c.actor, c.changed_at)
            for c, name in uow.session.execute(query)]
