"""The invoice's arithmetic, pure: volume bands, proration by day, rounding, the split per customer.

The rules (docs/decisions.md, "Billing"):

- A period is a calendar month in UTC. A customer is billed for each day it was in service: from the
  day it was added (inclusive) to the day it was removed (exclusive), so a day is never charged twice
  and a customer added and removed on the same day costs nothing.
- Its managed users on a day are the enabled, licensed members of its latest scan finished by the end
  of that day (zero before its first scan). User-days are the sum over its days.
- Volume bands, all users at one rate: the band is chosen by the fleet's average managed users per day
  over the days counted (the whole period once closed; the days so far in a running invoice), so a
  customer added on the last day does not move the whole month into another band. 1,000 users on
  average is the 1,000 band.
- A customer's usage is ``user_days x band rate / days in the period`` (the monthly rate prorated by
  day). Amounts are exact fractions until the end; the usage total is rounded once, half up to the
  cent; add-ons are whole monthly amounts (not prorated) split by their rule: by user-days, or equally
  between customers with users.
- The split is the largest-remainder method: each line gets its exact share rounded down to the cent,
  and the cents left over go to the largest remainders (ties by customer name, then id), so the lines
  add up to the total to the cent.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Literal

__all__ = ["CENT", "DEFAULT_BANDS", "AddOn", "Band", "CustomerUsage", "Invoice", "Line", "Period", "RateCard",
           "allocate", "billable_days", "price", "rate_text", "round_cents"]

CENT = Decimal("0.01")
Split = Literal["user_days", "equal"]


@dataclass(frozen=True)
class Band:
    """From ``floor`` managed users on average, every user costs ``rate`` a month."""

    floor: int
    rate: Decimal


#: The platform's default: the rate steps down at 1,000, 5,000 and 25,000 managed users.
DEFAULT_BANDS = (Band(0, Decimal("3.00")), Band(1_000, Decimal("2.50")), Band(5_000, Decimal("2.00")),
                 Band(25_000, Decimal("1.50")))


@dataclass(frozen=True)
class AddOn:
    """A monthly amount for the whole MSP (the branding or the reporting-cadence add-on)."""

    key: str
    label: str
    monthly: Decimal
    split: Split = "user_days"


@dataclass(frozen=True)
class RateCard:
    currency: str = "USD"
    bands: tuple[Band, ...] = DEFAULT_BANDS
    addons: tuple[AddOn, ...] = ()

    def __post_init__(self) -> None:
        floors = [b.floor for b in self.bands]
        if not floors or floors[0] != 0 or floors != sorted(set(floors)):
            raise ValueError("bands start at 0 users and rise strictly")

    def rate_for(self, average_users: Fraction | int) -> Decimal:
        """The band rate for this many managed users on average (a band's floor is in that band)."""
        return [b.rate for b in self.bands if b.floor <= average_users][-1]


@dataclass(frozen=True)
class Period:
    """``start`` inclusive, ``end`` exclusive."""

    start: dt.date
    end: dt.date

    @classmethod
    def month_of(cls, day: dt.date) -> Period:
        last = calendar.monthrange(day.year, day.month)[1]
        start = day.replace(day=1)
        return cls(start, start + dt.timedelta(days=last))

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def previous(self) -> Period:
        return Period.month_of(self.start - dt.timedelta(days=1))

    def next(self) -> Period:
        return Period.month_of(self.end)

    def label(self) -> str:
        return self.start.strftime("%B %Y")


def billable_days(period: Period, added: dt.date, removed: dt.date | None,
                  through: dt.date | None = None) -> list[dt.date]:
    """The days of ``period`` (up to ``through``, exclusive) a customer added on ``added`` and removed
    on ``removed`` is billed for: ``[added, removed)`` within the period."""
    first = max(period.start, added)
    last = min(period.end, removed or period.end, through or period.end)
    return [first + dt.timedelta(days=n) for n in range((last - first).days)]


@dataclass(frozen=True)
class CustomerUsage:
    """One customer's managed users on each day it is billed for in the period."""

    customer_id: uuid.UUID
    name: str
    service_tier: str
    users_by_day: Mapping[dt.date, int]

    @property
    def user_days(self) -> int:
        return sum(self.users_by_day.values())

    @property
    def days(self) -> int:
        return len(self.users_by_day)


@dataclass(frozen=True)
class Line:
    customer_id: uuid.UUID
    name: str
    service_tier: str
    days: int
    user_days: int
    usage_amount: Decimal
    addon_amount: Decimal

    @property
    def amount(self) -> Decimal:
        return self.usage_amount + self.addon_amount


@dataclass(frozen=True)
class Invoice:
    period: Period
    currency: str
    days_counted: int
    user_days: int
    average_users: Fraction
    band_rate: Decimal
    usage_total: Decimal
    addons: tuple[tuple[AddOn, Decimal], ...]
    lines: tuple[Line, ...] = field(default_factory=tuple)

    @property
    def addons_total(self) -> Decimal:
        return sum((amount for _, amount in self.addons), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return self.usage_total + self.addons_total


def rate_text(rate: Decimal) -> str:
    """A per-user rate as text, as stored (up to four decimals) and as people write it (at least two):
    ``3.00``, ``2.4750``... never ``3.0000`` for one card and ``3.00`` for the same rate in another."""
    whole, _, fraction = format(rate.quantize(Decimal("0.0001")), "f").partition(".")
    return f"{whole}.{fraction.rstrip('0').ljust(2, '0')}"


def round_cents(value: Fraction | Decimal) -> Decimal:
    """Half up to the cent (the invoice's one rounding)."""
    exact = Fraction(value) * 100
    cents = math.floor(exact + Fraction(1, 2)) if exact >= 0 else -math.floor(-exact + Fraction(1, 2))
    return Decimal(cents) * CENT


def allocate(total: Decimal, weights: Sequence[Fraction | int], order: Sequence[tuple[str, str]]) -> list[Decimal]:
    """Split ``total`` (whole cents) in proportion to ``weights`` so the parts add up to it exactly:
    the largest-remainder method, ties broken by ``order`` (name, id).

    All weights zero: equal parts.
    """
    cents = int((total / CENT).to_integral_value())
    if not weights:
        if cents:
            raise ValueError("a non-zero amount cannot be split across nobody")
        return []
    weight_sum = sum(Fraction(w) for w in weights)
    shares = [Fraction(w) / weight_sum for w in weights] if weight_sum else [Fraction(1, len(weights))] * len(weights)
    exact = [cents * share for share in shares]
    floors = [int(e) for e in exact]  # non-negative, so int() rounds down
    left = cents - sum(floors)
    ranked = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), order[i]))
    for i in ranked[:left]:
        floors[i] += 1
    return [Decimal(c) * CENT for c in floors]


def price(period: Period, usages: Iterable[CustomerUsage], card: RateCard, *,
          days_counted: int | None = None) -> Invoice:
    """The invoice of ``period`` for these customers: the band from the average managed users over
    ``days_counted`` days (the whole period unless given: a running invoice counts the days so far)."""
    lines_in = sorted((u for u in usages if u.days), key=lambda u: (u.name, str(u.customer_id)))
    counted = period.days if days_counted is None else days_counted
    user_days = sum(u.user_days for u in lines_in)
    average = Fraction(user_days, counted) if counted else Fraction(0)
    rate = card.rate_for(average)
    exact_usage = [Fraction(u.user_days) * Fraction(rate) / period.days for u in lines_in]
    usage_total = round_cents(sum(exact_usage, Fraction(0)))
    order = [(u.name, str(u.customer_id)) for u in lines_in]
    usage_parts = allocate(usage_total, exact_usage, order)
    addons = tuple((a, a.monthly.quantize(CENT)) for a in card.addons if a.monthly > 0) if lines_in else ()
    addon_parts = [Decimal("0.00")] * len(lines_in)
    for addon, amount in addons:
        if addon.split == "user_days":
            weights: list[Fraction | int] = [u.user_days for u in lines_in]
        else:  # equally between the customers with users (all of them, if none has any)
            weights = [1 if u.user_days else 0 for u in lines_in]
        addon_parts = [a + b for a, b in zip(addon_parts, allocate(amount, weights, order), strict=True)]
    lines = tuple(Line(u.customer_id, u.name, u.service_tier, u.days, u.user_days, usage, addon)
                  for u, usage, addon in zip(lines_in, usage_parts, addon_parts, strict=True))
    return Invoice(period, card.currency, counted, user_days, average, rate, usage_total, addons, lines)
