"""The operator's rate card for one MSP: its volume bands and add-ons, read by the MSP's admins and the
workers, written by the platform operator only (migration 0024). An MSP without one is on the default.

A card prices from a month on (``effective_from``): a period is priced by the card in force on its first
day, so a new card never reprices days already past unless the operator says it starts this month
(then the running month is repriced, and the page says so before it is saved).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError

from portal.db.models import RateCardRow
from portal.db.uow import UnitOfWork
from portal.services.audit import record_event
from portal.services.billing._money import AddOn, Band, Period, RateCard, rate_text
from portal.services.errors import Forbidden, InvalidInput

__all__ = ["ADDONS", "RateCardForm", "card_as_json", "next_card", "rate_card", "save_rate_card"]

#: The add-ons a rate card may carry: key -> label.
ADDONS = {"branding": "Branding add-on", "reporting": "Reporting-cadence add-on"}
_MAX_RATE = Decimal("10000")


def _row(uow: UnitOfWork, period: Period) -> RateCardRow | None:
    return uow.session.scalars(select(RateCardRow).where(RateCardRow.effective_from <= period.start)
                               .order_by(RateCardRow.effective_from.desc()).limit(1)).first()


def rate_card(uow: UnitOfWork, period: Period | None = None) -> RateCard:
    """The scope's MSP's rate card in force on ``period``'s first day (default: this month's); the
    default card when the operator set none by then."""
    return _card(_row(uow, period or Period.month_of(dt.datetime.now(dt.UTC).date())))


def next_card(uow: UnitOfWork, now: dt.datetime) -> tuple[dt.date, RateCard] | None:
    """A card the operator set for a later month, if any (its first month and the card)."""
    after = Period.month_of(now.astimezone(dt.UTC).date()).end
    row = uow.session.scalars(select(RateCardRow).where(RateCardRow.effective_from >= after)
                              .order_by(RateCardRow.effective_from).limit(1)).first()
    return None if row is None else (row.effective_from, _card(row))


def _card(row: RateCardRow | None) -> RateCard:
    if row is None:
        return RateCard()
    addons = tuple(AddOn(key, ADDONS[key], amount, split)  # type: ignore[arg-type]
                   for key, amount, split in (("branding", row.branding_addon, row.branding_split),
                                              ("reporting", row.reporting_addon, row.reporting_split))
                   if amount is not None)
    return RateCard(row.currency, tuple(Band(f, Decimal(r)) for f, r in zip(row.band_floors, row.band_rates,
                                                                             strict=True)), addons)


def card_as_json(card: RateCard) -> dict[str, Any]:
    """The card as an invoice keeps it (amounts as decimal strings)."""
    return {"currency": card.currency,
            "bands": [{"from_users": b.floor, "rate": rate_text(b.rate)} for b in card.bands],
            "addons": [{"key": a.key, "monthly": str(a.monthly), "split": a.split} for a in card.addons]}


class RateCardForm:
    """What the operator types: currency, a rate per band floor, the add-ons' amounts and splits."""

    def __init__(self, currency: str, floors: list[str], rates: list[str], addons: dict[str, tuple[str, str]]):
        self.currency, self.floors, self.rates, self.addons = currency, floors, rates, addons

    def parse(self) -> RateCard:
        currency = self.currency.strip().upper()
        if len(currency) != 3 or not currency.isalpha() or not currency.isascii():
            raise InvalidInput("the currency is a three-letter ISO 4217 code, such as USD or EUR")
        bands = []
        for floor_text, typed_rate in zip(self.floors, self.rates, strict=True):
            if not floor_text.strip() and not typed_rate.strip():
                continue
            try:
                floor = int(floor_text.replace(",", "").strip())
            except ValueError:
                raise InvalidInput(f"a band starts at a whole number of users, not {floor_text!r}") from None
            bands.append(Band(floor, _amount(typed_rate, "a band's rate", places=4)))
        bands.sort(key=lambda b: b.floor)
        if not bands or bands[0].floor != 0 or len({b.floor for b in bands}) != len(bands) or len(bands) > 10:
            raise InvalidInput("the bands start at 0 users, each at a different number of users (10 at most)")
        addons = []
        for key, (amount_text, split) in self.addons.items():
            if key not in ADDONS or not amount_text.strip():
                continue
            if split not in ("user_days", "equal"):
                raise InvalidInput("an add-on is split by user-days or equally")
            addons.append(AddOn(key, ADDONS[key], _amount(amount_text, ADDONS[key], places=2), split))  # type: ignore[arg-type]
        return RateCard(currency, tuple(bands), tuple(addons))


def _amount(value: str, what: str, *, places: int) -> Decimal:
    try:
        amount = Decimal(value.replace(",", "").strip())
    except InvalidOperation:
        raise InvalidInput(f"{what} is an amount such as 2.50, not {value!r}") from None
    if not amount.is_finite() or amount < 0 or amount > _MAX_RATE or amount != amount.quantize(Decimal(10) ** -places):
        raise InvalidInput(f"{what} is an amount from 0 to {_MAX_RATE} with at most {places} decimals")
    return amount


def save_rate_card(uow: UnitOfWork, card: RateCard, *, effective_from: dt.date, now: dt.datetime) -> RateCard:
    """Set the scope's MSP's rate card from ``effective_from`` (the first of this month or a later one) on;
    the operator only (the database refuses anyone else). Closed invoices keep the card they were closed
    with. Recorded in the MSP's audit trail, with the card.

    Raises:
        InvalidInput: ``effective_from`` is not the first of a month, or is before this month.
    """
    this_month = Period.month_of(now.astimezone(dt.UTC).date()).start
    if effective_from.day != 1 or effective_from < this_month:
        raise InvalidInput("a rate card starts on the first of this month or of a later one")
    addons = {a.key: a for a in card.addons}
    values = {"currency": card.currency, "band_floors": [b.floor for b in card.bands],
              "band_rates": [b.rate for b in card.bands],
              "branding_addon": addons["branding"].monthly if "branding" in addons else None,
              "branding_split": addons["branding"].split if "branding" in addons else "user_days",
              "reporting_addon": addons["reporting"].monthly if "reporting" in addons else None,
              "reporting_split": addons["reporting"].split if "reporting" in addons else "user_days"}
    statement = insert(RateCardRow).values(msp_id=uow.scope.msp_id, effective_from=effective_from,
                                           **values).on_conflict_do_update(
        index_elements=[RateCardRow.msp_id, RateCardRow.effective_from],
        set_={**values, "updated_by": uow.scope.actor, "updated_at": text("now()")})
    try:
        with uow.session.begin_nested():
            uow.session.execute(statement)
    except DBAPIError as exc:
        if "row-level security" in str(exc.orig):
            raise Forbidden("only the platform operator sets an MSP's rate card") from None
        raise
    record_event(uow, customer_id=None, action="billing.rate_card_set", target=f"msp:{uow.scope.msp_id}",
                 details={"effective_from": effective_from.isoformat(), **card_as_json(card)})
    uow.session.expire_all()
    return _card(_row(uow, Period.month_of(effective_from)))
