"""Invoices: the running one of the current period, closing a period for good, the closed ones, and
the bill split beside the MSP's own client prices (its margin per customer)."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, OperationalError

from portal.db.models import Invoice as InvoiceRow
from portal.db.models import InvoiceLine, TierPrice
from portal.db.scope import Scope
from portal.db.uow import UnitOfWork, unit_of_work
from portal.services.billing._money import AddOn, Invoice, Line, Period, price, round_cents
from portal.services.billing._rate_card import ADDONS, card_as_json, rate_card
from portal.services.billing._usage import daily_usage
from portal.services.errors import Conflict, InvalidInput, NotFound

__all__ = ["BILLING_ACTOR", "CLOSING_GRACE", "ClosedInvoice", "SplitLine", "client_prices", "close_due_invoices",
           "close_period", "closed_invoice", "closed_invoices", "running_invoice", "set_client_prices", "split_of"]

log = logging.getLogger(__name__)
BILLING_ACTOR = "system:billing"
#: How many ended months back the tick closes what was left open (a worker stopped for a long time).
CATCH_UP_MONTHS = 24
#: How long after a month ends its invoice closes: a scan that finished on the last day but is recorded a
#: little later (a slow tenant, a retried message) still counts for that day.
CLOSING_GRACE = dt.timedelta(hours=1)


@dataclass(frozen=True)
class SplitLine:
    """One customer's share of the invoice beside what the MSP charges it (``client_amount``)."""

    line: Line
    client_amount: Decimal | None  # None: no client price set for its tier

    @property
    def margin(self) -> Decimal | None:
        return None if self.client_amount is None else self.client_amount - self.line.amount


def running_invoice(uow: UnitOfWork, now: dt.datetime) -> Invoice:
    """The current period's invoice so far: the days up to and including today, at today's rate card."""
    today = now.astimezone(dt.UTC).date()
    period = Period.month_of(today)
    through = today + dt.timedelta(days=1)
    return price(period, daily_usage(uow, period, through), rate_card(uow, period),
                 days_counted=(through - period.start).days)


def client_prices(uow: UnitOfWork) -> dict[str, Decimal]:
    """What the MSP charges its client per managed user per month, by tier (tiers without one absent)."""
    return {row.tier: row.client_price for row in uow.session.scalars(select(TierPrice))}


def set_client_prices(uow: UnitOfWork, prices: dict[str, Decimal | None]) -> dict[str, Decimal]:
    """Set (or, with None, clear) the MSP's client price per tier; MSP admins only (the database refuses
    others: the caller maps the row-level security error)."""
    for tier, amount in prices.items():
        if amount is None:
            uow.session.execute(text("DELETE FROM tier_prices WHERE msp_id = :m AND tier = :t"),
                                {"m": uow.scope.msp_id, "t": tier})
            continue
        if amount < 0 or amount > Decimal("100000") or amount != amount.quantize(Decimal("0.01")):
            raise InvalidInput("a client price is an amount from 0 to 100000 with at most 2 decimals")
        uow.session.execute(insert(TierPrice).values(msp_id=uow.scope.msp_id, tier=tier, client_price=amount)
                            .on_conflict_do_update(index_elements=[TierPrice.msp_id, TierPrice.tier],
                                                   set_={"client_price": amount}))
    return client_prices(uow)


def split_of(invoice_lines: tuple[Line, ...] | list[Line], period: Period,
             prices: dict[str, Decimal]) -> list[SplitLine]:
    """Each line beside the client's price for the same user-days (its tier's monthly price prorated by
    day, half up to the cent per customer)."""
    out = []
    for line in invoice_lines:
        price_each = prices.get(line.service_tier)
        client = None if price_each is None else round_cents(
            Fraction(line.user_days) * Fraction(price_each) / period.days)
        out.append(SplitLine(line, client))
    return out


def close_period(uow: UnitOfWork, period: Period, now: dt.datetime) -> uuid.UUID:
    """Close ``period`` for the scope's MSP: price it at the rate card in force on its first day and keep
    it, with its lines and the client prices of the day, for good. Closing it again returns the same
    invoice and changes nothing.

    Raises:
        Conflict: the period has not ended yet.
    """
    if now.astimezone(dt.UTC).date() < period.end:
        raise Conflict(f"the period {period.label()} has not ended yet")
    existing = _invoice_id(uow, period)
    if existing is not None:
        return existing
    card = rate_card(uow, period)
    invoice = price(period, daily_usage(uow, period, period.end), card)
    client = {s.line.customer_id: s.client_amount for s in split_of(invoice.lines, period, client_prices(uow))}
    made = uow.session.execute(insert(InvoiceRow).values(
        msp_id=uow.scope.msp_id, period_start=period.start, period_end=period.end, currency=invoice.currency,
        user_days=invoice.user_days, average_users=_four_places(invoice.average_users), band_rate=invoice.band_rate,
        usage_total=invoice.usage_total, addons_total=invoice.addons_total, total=invoice.total,
        rate_card=card_as_json(card) | {"addons_charged": [{"key": a.key, "amount": str(amount), "split": a.split}
                                                           for a, amount in invoice.addons]},
    ).on_conflict_do_nothing(index_elements=["msp_id", "period_start"]).returning(InvoiceRow.id)).scalar()
    if made is None:  # another worker closed it in the meantime
        found = _invoice_id(uow, period)
        assert found is not None
        return found
    if invoice.lines:
        uow.session.execute(insert(InvoiceLine).values([
            {"invoice_id": made, "msp_id": uow.scope.msp_id, "customer_id": line.customer_id,
             "customer_name": line.name, "service_tier": line.service_tier, "days": line.days,
             "user_days": line.user_days, "usage_amount": line.usage_amount, "addon_amount": line.addon_amount,
             "amount": line.amount, "client_amount": client[line.customer_id]} for line in invoice.lines]))
    return made


def close_due_invoices(engine: Engine, now: dt.datetime) -> int:
    """Close every month that has ended, ``CLOSING_GRACE`` ago, and has no invoice yet, for every MSP:
    last month on its first tick, and any month a stopped worker or a failing MSP left open (as far back
    as ``CATCH_UP_MONTHS``, from the month of the MSP's first customer). Each MSP's months are one short
    transaction each, and the next tick finds them closed. Returns how many invoices were made."""
    last = Period.month_of((now.astimezone(dt.UTC) - CLOSING_GRACE).date()).previous()
    with engine.connect() as connection:
        msp_ids = list(connection.scalars(text("SELECT posture_msp_ids()")))
    made = 0
    for msp_id in msp_ids:
        try:
            for period in _open_periods(engine, msp_id, last):
                with unit_of_work(engine, Scope.for_msp(msp_id, actor=BILLING_ACTOR)) as uow:
                    close_period(uow, period, now)
                made += 1
        except (OperationalError, InterfaceError):
            raise  # the database itself is unreachable: the tick is retried whole
        except Exception:
            # One MSP's bad row must not hold back the others' invoices: logged, tried again next tick.
            log.exception("closing one MSP's invoice failed; the others go on", extra={"msp_id": str(msp_id)})
    if made:
        log.info("invoices closed", extra={"period": period.start.isoformat(), "invoices": made})
    return made


@dataclass(frozen=True)
class ClosedInvoice:
    id: uuid.UUID
    invoice: Invoice
    closed_at: dt.datetime
    closed_by: str
    rate_card: dict[str, object]
    #: The split as closed: each line beside the client price of that day (a later price changes nothing).
    split: list[SplitLine]


def closed_invoices(uow: UnitOfWork) -> list[InvoiceRow]:
    return list(uow.session.scalars(select(InvoiceRow).order_by(InvoiceRow.period_start.desc())))


def closed_invoice(uow: UnitOfWork, invoice_id: uuid.UUID) -> ClosedInvoice:
    row = uow.session.get(InvoiceRow, invoice_id)
    if row is None:
        raise NotFound(f"invoice {invoice_id} not found")
    lines = list(uow.session.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id)
                                     .order_by(InvoiceLine.customer_name, InvoiceLine.customer_id)))
    period = Period(row.period_start, row.period_end)
    charged = row.rate_card.get("addons_charged", [])
    addons = tuple((AddOn(a["key"], ADDONS.get(a["key"], a["key"]), Decimal(a["amount"]), a["split"]),
                    Decimal(a["amount"])) for a in charged)
    invoice = Invoice(period, row.currency, period.days, row.user_days, Fraction(row.average_users), row.band_rate,
                      row.usage_total, addons,
                      tuple(Line(li.customer_id, li.customer_name, li.service_tier, li.days, li.user_days,
                                 li.usage_amount, li.addon_amount) for li in lines))
    split = [SplitLine(line, stored.client_amount) for line, stored in zip(invoice.lines, lines, strict=True)]
    return ClosedInvoice(row.id, invoice, row.closed_at, row.closed_by, row.rate_card, split)


def _invoice_id(uow: UnitOfWork, period: Period) -> uuid.UUID | None:
    return uow.session.scalar(select(InvoiceRow.id).where(InvoiceRow.period_start == period.start))


def _open_periods(engine: Engine, msp_id: uuid.UUID, last: Period) -> list[Period]:
    """The MSP's ended months, oldest first, up to ``last``, that have no invoice: from the month after its
    latest invoice (or of its first customer), at most ``CATCH_UP_MONTHS`` back."""
    with unit_of_work(engine, Scope.for_msp(msp_id, actor=BILLING_ACTOR)) as uow:
        first_customer = uow.session.scalar(text("SELECT min(created_at) FROM customers"))
        latest = uow.session.scalar(select(func.max(InvoiceRow.period_start)))
    if first_customer is None:
        return []
    period = Period.month_of(first_customer.astimezone(dt.UTC).date())
    if latest is not None:
        period = Period.month_of(latest).next()
    oldest = last
    for _ in range(CATCH_UP_MONTHS - 1):
        oldest = oldest.previous()
    period = max(period, oldest, key=lambda p: p.start)
    periods = []
    while period.start <= last.start:
        periods.append(period)
        period = period.next()
    return periods


def _four_places(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.0001"))
