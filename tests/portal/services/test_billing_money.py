"""The invoice's arithmetic (``portal.services.billing._money``), pure: bands at their edges, proration
by day in 30- and 31-day months, half-up rounding, and a split that adds up to the cent.

Expected amounts are worked out by hand from the rules in the module's docstring (and docs/decisions.md),
never by calling the code under test a second way. Property-based tests (Hypothesis) then hold the two
promises across random fleets: the lines add up to the total to the cent, and no day is billed twice.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.services.billing import (
    AddOn,
    Band,
    CustomerUsage,
    Period,
    RateCard,
    allocate,
    billable_days,
    price,
    round_cents,
)

NOVEMBER = Period(dt.date(2026, 11, 1), dt.date(2026, 12, 1))  # 30 days
DECEMBER = Period(dt.date(2026, 12, 1), dt.date(2027, 1, 1))   # 31 days
D = Decimal


def _usage(name: str, users: int, days: list[dt.date], tier: str = "professional") -> CustomerUsage:
    return CustomerUsage(uuid.uuid5(uuid.NAMESPACE_DNS, name), name, tier, {d: users for d in days})


def _whole(period: Period) -> list[dt.date]:
    return billable_days(period, period.start, None)


# --- periods and proration ---------------------------------------------------------------------------


def test_a_month_is_its_calendar_month() -> None:
    assert Period.month_of(dt.date(2026, 11, 17)) == NOVEMBER
    assert Period.month_of(dt.date(2026, 12, 31)) == DECEMBER
    assert Period.month_of(dt.date(2028, 2, 29)).days == 29
    assert DECEMBER.previous() == NOVEMBER
    assert Period.month_of(dt.date(2027, 1, 5)).previous() == DECEMBER


def test_a_customer_added_on_the_17th_is_billed_from_that_day() -> None:
    # November: the 17th to the 30th is 14 days; December: the 17th to the 31st is 15.
    november = billable_days(NOVEMBER, dt.date(2026, 11, 17), None)
    december = billable_days(DECEMBER, dt.date(2026, 12, 17), None)
    assert (len(november), november[0], november[-1]) == (14, dt.date(2026, 11, 17), dt.date(2026, 11, 30))
    assert (len(december), december[0], december[-1]) == (15, dt.date(2026, 12, 17), dt.date(2026, 12, 31))


def test_a_removed_customer_is_billed_up_to_the_day_before_its_removal() -> None:
    days = billable_days(DECEMBER, dt.date(2026, 10, 3), dt.date(2026, 12, 20))
    assert (len(days), days[0], days[-1]) == (19, dt.date(2026, 12, 1), dt.date(2026, 12, 19))
    # Added and removed within the month: the 17th to the 19th.
    assert len(billable_days(DECEMBER, dt.date(2026, 12, 17), dt.date(2026, 12, 20))) == 3
    # Added and removed the same day costs nothing; removed before the month: nothing either.
    assert billable_days(DECEMBER, dt.date(2026, 12, 5), dt.date(2026, 12, 5)) == []
    assert billable_days(DECEMBER, dt.date(2026, 9, 1), dt.date(2026, 11, 30)) == []


def test_proration_in_money_for_30_and_31_day_months() -> None:
    card = RateCard(bands=(Band(0, D("3.00")),))
    # 10 users from the 17th: November 10 x 14 x 3.00 / 30 = 14.00; December 10 x 15 x 3.00 / 31 = 14.516.. -> 14.52.
    november = price(NOVEMBER, [_usage("Contoso", 10, billable_days(NOVEMBER, dt.date(2026, 11, 17), None))], card)
    december = price(DECEMBER, [_usage("Contoso", 10, billable_days(DECEMBER, dt.date(2026, 12, 17), None))], card)
    assert (november.user_days, november.total) == (140, D("14.00"))
    assert (december.user_days, december.total) == (150, D("14.52"))
    # Removed on the 20th of December: 19 days, 10 x 19 x 3.00 / 31 = 18.387.. -> 18.39.
    removed = price(DECEMBER, [_usage("Contoso", 10, billable_days(DECEMBER, dt.date(2026, 1, 1),
                                                                   dt.date(2026, 12, 20)))], card)
    assert removed.total == D("18.39")
    # The whole month at 10 users is the monthly rate, in either month.
    assert price(NOVEMBER, [_usage("Contoso", 10, _whole(NOVEMBER))], card).total == D("30.00")
    assert price(DECEMBER, [_usage("Contoso", 10, _whole(DECEMBER))], card).total == D("30.00")


# --- bands -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("users", "rate"), [
    (0, "3.00"), (999, "3.00"), (1_000, "2.50"), (1_001, "2.50"), (4_999, "2.50"), (5_000, "2.00"),
    (24_999, "2.00"), (25_000, "1.50"), (25_001, "1.50"),
])
def test_the_default_bands_step_down_at_1000_5000_and_25000(users: int, rate: str) -> None:
    invoice = price(NOVEMBER, [_usage("Contoso", users, _whole(NOVEMBER))], RateCard())
    assert invoice.band_rate == D(rate)
    assert invoice.total == D(rate) * users  # the whole month: users x the band's monthly rate


def test_the_band_follows_the_average_not_the_peak_nor_one_late_customer() -> None:
    # 990 users all month, and 300 more for the last day only: the average is 990 + 300/30 = 1,000.
    late = _usage("Zeta", 300, [dt.date(2026, 11, 30)])
    invoice = price(NOVEMBER, [_usage("Alpha", 990, _whole(NOVEMBER)), late], RateCard())
    assert invoice.average_users == 1_000 and invoice.band_rate == D("2.50")
    # 290 on the last day instead: 999.67 on average, still the first band.
    invoice = price(NOVEMBER, [_usage("Alpha", 990, _whole(NOVEMBER)), _usage("Zeta", 290, [dt.date(2026, 11, 30)])],
                    RateCard())
    assert invoice.average_users == Fraction(29_990, 30) and invoice.band_rate == D("3.00")


def test_a_running_invoice_picks_its_band_from_the_days_so_far() -> None:
    # Ten days of November at 1,200 users: 1,200 on average so far (the 1,000 band), charged for ten days.
    so_far = billable_days(NOVEMBER, NOVEMBER.start, None, through=dt.date(2026, 11, 11))
    invoice = price(NOVEMBER, [_usage("Contoso", 1_200, so_far)], RateCard(), days_counted=10)
    assert invoice.band_rate == D("2.50")
    assert invoice.total == D("1000.00")  # 1,200 x 10 x 2.50 / 30


def test_bands_must_start_at_zero_and_rise() -> None:
    with pytest.raises(ValueError, match="start at 0"):
        RateCard(bands=(Band(10, D("1")),))
    with pytest.raises(ValueError, match="rise"):
        RateCard(bands=(Band(0, D("1")), Band(5, D("1")), Band(5, D("2"))))


# --- rounding and the split ----------------------------------------------------------------------------


def test_rounding_is_half_up_to_the_cent() -> None:
    assert round_cents(Fraction(1, 200)) == D("0.01")     # 0.005 exactly: up (banker's rounding says 0.00)
    assert round_cents(Fraction(3, 200)) == D("0.02")     # 0.015: up (banker's says 0.02 too)
    assert round_cents(Fraction(1, 3)) == D("0.33")
    assert round_cents(Fraction(2, 3)) == D("0.67")
    assert round_cents(D("12.345")) == D("12.35")
    # In an invoice: one user for one day at 0.15 a month over 30 days is 0.005, billed 0.01.
    card = RateCard(bands=(Band(0, D("0.15")),))
    assert price(NOVEMBER, [_usage("Contoso", 1, [NOVEMBER.start])], card).total == D("0.01")


def test_the_split_adds_up_to_the_total_the_leftover_cent_to_the_first_name() -> None:
    # Three customers of one user-day each at 1.00 over 30 days: 0.0333.. each, 0.10 in all.
    card = RateCard(bands=(Band(0, D("1.00")),))
    usages = [_usage(n, 1, [NOVEMBER.start]) for n in ("Charlie", "Alpha", "Bravo")]
    invoice = price(NOVEMBER, usages, card)
    assert invoice.total == D("0.10")
    assert [(line.name, line.amount) for line in invoice.lines] == [
        ("Alpha", D("0.04")), ("Bravo", D("0.03")), ("Charlie", D("0.03"))]


def test_add_ons_are_whole_and_split_by_their_rule() -> None:
    card = RateCard(bands=(Band(0, D("3.00")),), addons=(
        AddOn("branding", "Branding", D("100.00"), "user_days"), AddOn("reporting", "Reporting", D("10.00"), "equal")))
    usages = [_usage("Alpha", 30, _whole(NOVEMBER)), _usage("Bravo", 10, _whole(NOVEMBER)),
              _usage("Pending", 0, _whole(NOVEMBER))]  # onboarded, never scanned: no users
    invoice = price(NOVEMBER, usages, card)
    assert invoice.usage_total == D("120.00") and invoice.addons_total == D("110.00")
    assert invoice.total == D("230.00")
    by_name = {line.name: line for line in invoice.lines}
    # Branding by user-days 3:1 -> 75.00 and 25.00; reporting equally between the two with users -> 5.00 each.
    assert (by_name["Alpha"].addon_amount, by_name["Alpha"].usage_amount) == (D("80.00"), D("90.00"))
    assert (by_name["Bravo"].addon_amount, by_name["Bravo"].usage_amount) == (D("30.00"), D("30.00"))
    assert by_name["Pending"].amount == D("0.00")


def test_no_customer_no_charge() -> None:
    card = RateCard(addons=(AddOn("branding", "Branding", D("100.00")),))
    invoice = price(NOVEMBER, [], card)
    assert (invoice.total, invoice.lines) == (D("0.00"), ())


def test_allocate_refuses_to_split_money_across_nobody() -> None:
    with pytest.raises(ValueError):
        allocate(D("1.00"), [], [])
    assert allocate(D("0.00"), [], []) == []


# --- properties -------------------------------------------------------------------------------------------

_days_in = st.sampled_from([NOVEMBER, DECEMBER, Period(dt.date(2027, 2, 1), dt.date(2027, 3, 1))])


@st.composite
def _fleet(draw: st.DrawFn) -> tuple[Period, list[CustomerUsage], RateCard]:
    period = draw(_days_in)
    floors = sorted(draw(st.sets(st.integers(1, 30_000), max_size=4)))
    rates = draw(st.lists(st.decimals(min_value=0, max_value=20, places=4), min_size=len(floors) + 1,
                          max_size=len(floors) + 1))
    addons = tuple(AddOn(key, key, draw(st.decimals(min_value=0, max_value=5_000, places=2)),
                         draw(st.sampled_from(["user_days", "equal"])))
                   for key in ("branding", "reporting") if draw(st.booleans()))
    card = RateCard("EUR", tuple(Band(f, r) for f, r in zip([0, *floors], rates, strict=True)), addons)
    usages = []
    for n in range(draw(st.integers(0, 25))):
        added = period.start + dt.timedelta(days=draw(st.integers(-40, period.days)))
        removed = draw(st.one_of(st.none(), st.integers(-10, period.days + 10).map(
            lambda k, a=added: a + dt.timedelta(days=max(0, k)))))
        days = billable_days(period, added, removed)
        # Users change mid-period: each day's count drawn on its own (a scan a day), edges included.
        counts = draw(st.lists(st.sampled_from([0, 1, 999, 1_000, 1_001, 24_999, 25_000, 25_001, 7]),
                               min_size=len(days), max_size=len(days)))
        usages.append(CustomerUsage(uuid.UUID(int=n + 1), f"Customer {n % 5}", "starter", dict(zip(days, counts,
                                                                                                     strict=True))))
    return period, usages, card


@settings(max_examples=300, deadline=None)
@given(_fleet())
def test_the_split_always_sums_to_the_total_to_the_cent(fleet: tuple[Period, list[CustomerUsage], RateCard]) -> None:
    period, usages, card = fleet
    invoice = price(period, usages, card)
    assert sum((line.amount for line in invoice.lines), D("0.00")) == invoice.total
    assert sum((line.addon_amount for line in invoice.lines), D("0.00")) == invoice.addons_total
    assert all(line.usage_amount >= 0 and line.addon_amount >= 0 for line in invoice.lines)
    assert all(line.amount.as_tuple().exponent == -2 for line in invoice.lines)
    # Each line is within a cent of its exact share of the usage.
    for line in invoice.lines:
        exact = Fraction(line.user_days) * Fraction(invoice.band_rate) / period.days
        assert abs(Fraction(line.usage_amount) - exact) < Fraction(1, 100)


@settings(max_examples=300, deadline=None)
@given(_days_in, st.integers(-60, 60), st.one_of(st.none(), st.integers(-60, 60)), st.integers(0, 40))
def test_proration_never_bills_a_day_twice_nor_outside_the_period(
        period: Period, added_offset: int, removed_offset: int | None, through_offset: int) -> None:
    added = period.start + dt.timedelta(days=added_offset)
    removed = None if removed_offset is None else period.start + dt.timedelta(days=removed_offset)
    through = period.start + dt.timedelta(days=through_offset)
    days = billable_days(period, added, removed, through)
    assert len(days) == len(set(days))
    assert all(period.start <= d < period.end and d >= added and d < through for d in days)
    assert all(removed is None or d < removed for d in days)
    # Every day that qualifies is there: nothing dropped either.
    expected = [period.start + dt.timedelta(days=k) for k in range(period.days)]
    expected = [d for d in expected if d >= added and (removed is None or d < removed) and d < through]
    assert days == expected
    # Cut the month in two at any day: the halves bill exactly the whole, with no day in both.
    first = billable_days(period, added, removed, through)
    later = [d for d in billable_days(period, added, removed) if d >= through]
    assert sorted(first + later) == billable_days(period, added, removed)
