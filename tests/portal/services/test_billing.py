"""Billing against PostgreSQL with row-level security: managed users read from the scans, each day of a
period from the day a customer was added to the day it was removed, the seat terms only an MSP admin may
change (each change logged by the database), the rate card only the platform operator may set, and
invoices closed once and never changed.

Expected figures are worked out by hand from the seeded scans and the rules (docs/decisions.md).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, InternalError, ProgrammingError

from portal.db.models import Role
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.billing import (
    Band,
    Period,
    RateCard,
    billing_changes,
    close_due_invoices,
    close_period,
    closed_invoice,
    daily_usage,
    latest_managed_users,
    rate_card,
    remove_customer,
    running_invoice,
    save_rate_card,
    seats_view,
    set_terms,
    set_tier_names,
    tier_names,
)
from portal.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.portal.services.support import Seeded, add_member, make_customer, make_msp
from tests.support.database import set_scope

UTC = dt.UTC
NOVEMBER = Period(dt.date(2026, 11, 1), dt.date(2026, 12, 1))
D = Decimal


def _at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def _scan(owner_engine: Engine, seeded: Seeded, finished: dt.datetime, licensed: int | None, *,
          status: str = "completed") -> None:
    with owner_engine.begin() as connection:
        set_scope(connection, seeded.msp_id)
        connection.execute(text(
            "INSERT INTO scans (id, msp_id, customer_id, trigger, status, started_at, finished_at, environment) "
            "VALUES (gen_random_uuid(), :m, :c, 'manual', :s, :f, :f, CAST(:e AS jsonb))"),
            {"m": seeded.msp_id, "c": seeded.customer_id, "s": status, "f": finished,
             "e": json.dumps({"licensed": licensed, "members": None})})


def _set(owner_engine: Engine, seeded: Seeded, **columns: object) -> None:
    with owner_engine.begin() as connection:
        set_scope(connection, seeded.msp_id)
        assignments = ", ".join(f"{name} = :{name}" for name in columns)
        connection.execute(text(f"UPDATE customers SET {assignments} WHERE id = :id"), {**columns,
                                                                                         "id": seeded.customer_id})


def _operator(owner_engine: Engine, msp_id: uuid.UUID) -> Scope:
    """A platform operator (no membership of this MSP) acting on ``msp_id``, as the operator's pages do."""
    user_id = uuid.uuid4()
    with owner_engine.begin() as connection:
        connection.execute(text("INSERT INTO users (id, email, display_name, is_platform_operator) "
                                "VALUES (:i, :e, 'Operator', true)"), {"i": user_id, "e": f"{user_id.hex}@op.test"})
    return Scope(msp_id=msp_id, actor="operator@op.test", user_id=user_id)


@pytest.fixture
def november_fleet(owner_engine: Engine) -> tuple[Seeded, Seeded]:
    """Contoso, added on 17 November, 10 users then 20 from the 25th; Fabrikam, there since October with
    5 users, removed on 20 November in the afternoon."""
    msp_id = make_msp(owner_engine)
    contoso = make_customer(owner_engine, msp_id, name="Contoso")
    fabrikam = make_customer(owner_engine, msp_id, name="Fabrikam")
    _set(owner_engine, contoso, created_at=_at(2026, 11, 17, 8))
    _scan(owner_engine, contoso, _at(2026, 11, 17, 9), 10)
    _scan(owner_engine, contoso, _at(2026, 11, 21, 9), None)  # this scan could not read the users
    _scan(owner_engine, contoso, _at(2026, 11, 23, 9), 500, status="failed")  # a failed scan counts nothing
    _scan(owner_engine, contoso, _at(2026, 11, 25, 12), 20)
    _set(owner_engine, fabrikam, created_at=_at(2026, 10, 2))
    _scan(owner_engine, fabrikam, _at(2026, 10, 30, 23), 5)
    _set(owner_engine, fabrikam, removed_at=_at(2026, 11, 20, 15))
    return contoso, fabrikam


def test_managed_users_are_the_latest_scan_that_read_them(owner_engine: Engine, app_engine: Engine,
                                                          november_fleet: tuple[Seeded, Seeded]) -> None:
    contoso, fabrikam = november_fleet
    never = make_customer(owner_engine, contoso.msp_id, name="Northwind")
    with unit_of_work(app_engine, Scope.for_msp(contoso.msp_id)) as uow:
        users = latest_managed_users(uow)
    assert users == {contoso.customer_id: 20, fabrikam.customer_id: 5, never.customer_id: None}


def test_each_day_counts_from_added_to_removed(app_engine: Engine, november_fleet: tuple[Seeded, Seeded]) -> None:
    contoso, _ = november_fleet
    with unit_of_work(app_engine, Scope.for_msp(contoso.msp_id)) as uow:
        usage = {u.name: u for u in daily_usage(uow, NOVEMBER, NOVEMBER.end)}
    # Contoso: the 17th to the 24th at 10 (8 days), the 25th to the 30th at 20 (6 days).
    assert usage["Contoso"].days == 14
    assert usage["Contoso"].users_by_day[dt.date(2026, 11, 17)] == 10
    assert usage["Contoso"].users_by_day[dt.date(2026, 11, 24)] == 10
    assert usage["Contoso"].users_by_day[dt.date(2026, 11, 25)] == 20
    assert usage["Contoso"].user_days == 8 * 10 + 6 * 20
    # Fabrikam: the 1st to the 19th at 5; not the 20th, the day it was removed.
    assert usage["Fabrikam"].days == 19 and usage["Fabrikam"].user_days == 95
    assert max(usage["Fabrikam"].users_by_day) == dt.date(2026, 11, 19)


def test_closing_a_period_twice_makes_one_immutable_invoice(owner_engine: Engine, app_engine: Engine,
                                                            november_fleet: tuple[Seeded, Seeded]) -> None:
    contoso, _ = november_fleet
    system = Scope.for_msp(contoso.msp_id, actor="system:billing")
    with unit_of_work(app_engine, system) as uow:
        first = close_period(uow, NOVEMBER, _at(2026, 12, 1, 0, 1))
    with unit_of_work(app_engine, system) as uow:
        again = close_period(uow, NOVEMBER, _at(2026, 12, 3))
        stored = closed_invoice(uow, first)
    assert first == again
    # 295 user-days over 30 days is 9.83 users on average: the first band, 3.00. Contoso 200 x 3 / 30 = 20.00,
    # Fabrikam 95 x 3 / 30 = 9.50.
    invoice = stored.invoice
    assert (invoice.user_days, invoice.band_rate, invoice.total) == (295, D("3.0000"), D("29.50"))
    assert [(line.name, line.days, line.user_days, line.amount) for line in invoice.lines] == [
        ("Contoso", 14, 200, D("20.00")), ("Fabrikam", 19, 95, D("9.50"))]
    with owner_engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM invoices WHERE msp_id = :m"), {"m": contoso.msp_id}) == 1
    # Immutable, even to the owner; and no line can be added later to a closed invoice.
    for statement in ("UPDATE invoices SET total = 0 WHERE id = :i", "DELETE FROM invoice_lines WHERE invoice_id = :i",
                      "UPDATE invoice_lines SET amount = 0, usage_amount = 0 WHERE invoice_id = :i"):
        with owner_engine.begin() as connection, pytest.raises(InternalError, match="immutable"):
            set_scope(connection, contoso.msp_id)
            connection.execute(text(statement), {"i": first})
    northwind = make_customer(owner_engine, contoso.msp_id, name="Northwind")
    with pytest.raises(ProgrammingError, match="row-level security"), unit_of_work(app_engine, system) as uow:
        uow.session.execute(text(
            "INSERT INTO invoice_lines (invoice_id, msp_id, customer_id, customer_name, service_tier, days, user_days, "
            "usage_amount, addon_amount, amount) VALUES (:i, :m, :c, 'Northwind', 'starter', 1, 1, 1, 0, 1)"),
            {"i": first, "m": contoso.msp_id, "c": northwind.customer_id})


def test_a_period_is_closed_only_once_it_has_ended(app_engine: Engine, november_fleet: tuple[Seeded, Seeded]) -> None:
    contoso, _ = november_fleet
    with pytest.raises(Conflict, match="not ended"), unit_of_work(app_engine, Scope.for_msp(contoso.msp_id)) as uow:
        close_period(uow, NOVEMBER, _at(2026, 11, 30, 23, 59))


def test_the_tick_closes_last_month_once_for_every_msp(app_engine: Engine, owner_engine: Engine,
                                                       november_fleet: tuple[Seeded, Seeded]) -> None:
    contoso, _ = november_fleet
    def periods() -> list[tuple[dt.date, Decimal]]:
        with owner_engine.connect() as connection:
            return [tuple(r) for r in connection.execute(text(  # type: ignore[misc]
                "SELECT period_start, total FROM invoices WHERE msp_id = :m ORDER BY 1"), {"m": contoso.msp_id})]

    # In the first hour of December November stays open (a last-day scan may still be being recorded);
    # October, never closed here, is: Fabrikam's 5 users on the 30th and the 31st, 10 x 3.00 / 31 = 0.97.
    close_due_invoices(app_engine, _at(2026, 12, 1, 0, 59))
    assert periods() == [(dt.date(2026, 10, 1), D("0.97"))]
    close_due_invoices(app_engine, _at(2026, 12, 1, 1, 0, 30))
    close_due_invoices(app_engine, _at(2026, 12, 1, 1, 1, 30))
    assert periods() == [(dt.date(2026, 10, 1), D("0.97")), (dt.date(2026, 11, 1), D("29.50"))]


def test_a_rate_card_prices_from_its_month_and_a_closed_invoice_keeps_its_own(
        owner_engine: Engine, app_engine: Engine, web_engine: Engine, november_fleet: tuple[Seeded, Seeded]) -> None:
    contoso, _ = november_fleet
    operator = _operator(owner_engine, contoso.msp_id)
    with unit_of_work(app_engine, Scope.for_msp(contoso.msp_id)) as uow:
        invoice_id = close_period(uow, NOVEMBER, _at(2026, 12, 2))
    now = _at(2026, 12, 10)
    with unit_of_work(web_engine, operator) as uow:
        with pytest.raises(InvalidInput, match="first of this month"):  # never back into a month gone by
            save_rate_card(uow, RateCard("EUR", (Band(0, D("1.00")),)), effective_from=NOVEMBER.start, now=now)
        save_rate_card(uow, RateCard("EUR", (Band(0, D("9.00")),)), effective_from=dt.date(2027, 1, 1), now=now)
    with unit_of_work(app_engine, Scope.for_msp(contoso.msp_id)) as uow:
        stored = closed_invoice(uow, invoice_id)
        december, january = rate_card(uow, Period.month_of(now.date())), rate_card(uow, Period.month_of(
            dt.date(2027, 1, 5)))
    assert (stored.invoice.currency, stored.invoice.total) == ("USD", D("29.50"))
    assert stored.rate_card["bands"][0] == {"from_users": 0, "rate": "3.00"}
    # Set for January: December keeps the default card, January gets the new one.
    assert (december.currency, january.currency, january.bands[0].rate) == ("USD", "EUR", D("9.0000"))
    with owner_engine.connect() as connection:
        logged = connection.execute(text("SELECT actor, details ->> 'effective_from' FROM audit_events "
                                         "WHERE msp_id = :m AND action = 'billing.rate_card_set'"),
                                    {"m": contoso.msp_id}).all()
    assert logged == [(operator.actor, "2027-01-01")]


def test_the_running_invoice_counts_the_days_so_far(owner_engine: Engine, app_engine: Engine) -> None:
    seeded = make_customer(owner_engine, make_msp(owner_engine), name="Contoso")
    _set(owner_engine, seeded, created_at=_at(2026, 10, 1))
    _scan(owner_engine, seeded, _at(2026, 11, 30, 10), 31)
    admin, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ADMIN)
    with unit_of_work(app_engine, admin) as uow:
        invoice = running_invoice(uow, _at(2026, 12, 3, 15))
    # Three days of December (the 1st to the 3rd) at 31 users: 93 user-days x 3.00 / 31 = 9.00.
    assert (invoice.days_counted, invoice.user_days, invoice.total) == (3, 93, D("9.00"))


# --- who may do what ---------------------------------------------------------------------------------


def test_only_an_msp_admin_changes_terms_and_every_change_is_logged(owner_engine: Engine, web_engine: Engine) -> None:
    seeded = make_customer(owner_engine, make_msp(owner_engine), name="Contoso")
    admin, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ADMIN)
    analyst, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ANALYST)
    with pytest.raises(Forbidden), unit_of_work(web_engine, analyst) as uow:
        set_terms(uow, seeded.customer_id, seat_limit=5)
    with unit_of_work(web_engine, admin) as uow:
        row = set_terms(uow, seeded.customer_id, seat_limit=5, service_tier="enterprise")
        set_terms(uow, seeded.customer_id, seat_limit=None, licence_type="custom")
    assert (row.seat_limit, row.service_tier) == (5, "enterprise")
    with unit_of_work(web_engine, admin) as uow:
        changes = billing_changes(uow)
        seat = seats_view(uow).rows[0]
    assert (seat.seat_limit, seat.licence_type, seat.status) == (None, "custom", "unlimited")
    logged = sorted((c.field, c.old_value or "", c.new_value or "", c.actor) for c in changes)
    assert logged == sorted([("seat_limit", "", "5", admin.actor), ("service_tier", "professional", "enterprise",
                                                                       admin.actor),
                             ("seat_limit", "5", "", admin.actor), ("licence_type", "per_user", "custom",
                                                                      admin.actor)])
    # The web role may not write the terms, or the log, directly (an injected statement, say).
    for statement in ("UPDATE customers SET seat_limit = 1", "UPDATE customers SET service_tier = 'starter'",
                      "INSERT INTO billing_changes (msp_id, customer_id, field, actor) "
                      f"VALUES ('{seeded.msp_id}', '{seeded.customer_id}', 'seat_limit', 'me')"):
        with pytest.raises(ProgrammingError, match="permission denied"), unit_of_work(web_engine, admin) as uow:
            uow.session.execute(text(statement))


def test_a_removed_customer_is_no_longer_scanned_or_changeable(owner_engine: Engine, web_engine: Engine) -> None:
    seeded = make_customer(owner_engine, make_msp(owner_engine), name="Contoso")
    admin, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ADMIN)
    with unit_of_work(web_engine, admin) as uow:
        remove_customer(uow, seeded.customer_id)
    with owner_engine.connect() as connection:
        removed = connection.execute(text("SELECT removed_at, suspended_at FROM customers WHERE id = :c"),
                                     {"c": seeded.customer_id}).one()
    assert removed.removed_at is not None and removed.suspended_at is not None
    with pytest.raises(NotFound), unit_of_work(web_engine, admin) as uow:
        set_terms(uow, seeded.customer_id, seat_limit=3)
    with pytest.raises(NotFound), unit_of_work(web_engine, admin) as uow:
        remove_customer(uow, seeded.customer_id)


def test_money_is_for_admins_and_the_operator_seats_for_staff_and_nothing_for_customers(
        owner_engine: Engine, web_engine: Engine, app_engine: Engine, november_fleet: tuple[Seeded, Seeded]) -> None:
    contoso, _ = november_fleet
    with unit_of_work(app_engine, Scope.for_msp(contoso.msp_id)) as uow:
        close_period(uow, NOVEMBER, _at(2026, 12, 2))
    admin, _ = add_member(owner_engine, contoso.msp_id, Role.MSP_ADMIN)
    with unit_of_work(web_engine, admin) as uow:
        set_terms(uow, contoso.customer_id, seat_limit=50)
        set_tier_names(uow, {"starter": "Bronze", "professional": "Silver", "enterprise": "Gold"})
        uow.session.execute(text("INSERT INTO tier_prices (msp_id, tier, client_price) VALUES (:m, 'starter', 4)"),
                            {"m": contoso.msp_id})
    # Two changes: the fixture's removal of Fabrikam, and Contoso's seat limit.
    money = ("invoices", "invoice_lines", "tier_prices", "billing_changes")
    operator = _operator(owner_engine, contoso.msp_id)
    analyst, _ = add_member(owner_engine, contoso.msp_id, Role.MSP_ANALYST)
    customer_admin, _ = add_member(owner_engine, contoso.msp_id, Role.CUSTOMER_ADMIN, contoso.customer_id)

    def counts(scope: Scope) -> dict[str, int]:
        with unit_of_work(web_engine, scope) as uow:
            return {t: uow.session.scalar(text(f"SELECT count(*) FROM {t}")) for t in (*money, "service_tier_names")}

    assert counts(admin) == {"invoices": 1, "invoice_lines": 2, "tier_prices": 1, "billing_changes": 2,
                             "service_tier_names": 3}
    assert counts(operator) == counts(admin)
    assert counts(analyst) == dict.fromkeys(money, 0) | {"service_tier_names": 3}
    assert counts(customer_admin) == dict.fromkeys((*money, "service_tier_names"), 0)
    with unit_of_work(web_engine, analyst) as uow:
        assert tier_names(uow)["starter"] == "Bronze"  # analysts see the tiers' names, not their prices
        with pytest.raises(Forbidden):
            set_tier_names(uow, {"starter": "Mine", "professional": "Mine", "enterprise": "Mine"})


def test_only_the_operator_sets_a_rate_card_and_only_for_the_msp_in_scope(owner_engine: Engine,
                                                                          web_engine: Engine) -> None:
    msp_a, msp_b = make_msp(owner_engine), make_msp(owner_engine)
    admin, _ = add_member(owner_engine, msp_a, Role.MSP_ADMIN)
    card = RateCard("EUR", (Band(0, D("2.00")), Band(100, D("1.00"))))
    this_month = Period.month_of(dt.datetime.now(UTC).date()).start
    with pytest.raises(Forbidden), unit_of_work(web_engine, admin) as uow:
        save_rate_card(uow, card, effective_from=this_month, now=dt.datetime.now(UTC))
    operator = _operator(owner_engine, msp_a)
    with unit_of_work(web_engine, operator) as uow:
        assert save_rate_card(uow, card, effective_from=this_month, now=dt.datetime.now(UTC)) == card
    with unit_of_work(web_engine, admin) as uow:
        assert rate_card(uow) == card  # the MSP's admin reads it
    # The operator acting on MSP B cannot write MSP A's card (the row's MSP is the scope's).
    with pytest.raises(DBAPIError, match="row-level security"), \
            unit_of_work(web_engine, Scope(msp_b, actor="op", user_id=operator.user_id)) as uow:
        uow.session.execute(text("INSERT INTO rate_cards (msp_id, effective_from, currency, band_floors, band_rates) "
                                 "VALUES (:m, '2030-01-01', 'USD', '{0}', '{0}')"), {"m": msp_a})
    # The list of every MSP is the operator's only.
    with unit_of_work(web_engine, admin) as uow:
        assert uow.session.execute(text("SELECT * FROM posture_operator_msps()")).all() == []
    with unit_of_work(web_engine, operator) as uow:
        listed = {row.id for row in uow.session.execute(text("SELECT * FROM posture_operator_msps()"))}
    assert {msp_a, msp_b} <= listed


# --- what the review found -------------------------------------------------------------------------------


def test_a_month_left_open_is_closed_when_the_tick_comes_back(owner_engine: Engine, app_engine: Engine,
                                                              november_fleet: tuple[Seeded, Seeded]) -> None:
    """A worker stopped through the whole of December: on 2 January, December and November both close."""
    contoso, _ = november_fleet
    close_due_invoices(app_engine, _at(2027, 1, 2))
    with owner_engine.connect() as connection:
        closed = connection.execute(text("SELECT period_start FROM invoices WHERE msp_id = :m ORDER BY 1"),
                                    {"m": contoso.msp_id}).scalars().all()
    assert closed == [dt.date(2026, 10, 1), dt.date(2026, 11, 1), dt.date(2026, 12, 1)]


def test_a_closed_invoice_keeps_the_client_prices_of_its_day(owner_engine: Engine, app_engine: Engine,
                                                             web_engine: Engine,
                                                             november_fleet: tuple[Seeded, Seeded]) -> None:
    from portal.services.billing import set_client_prices

    contoso, _ = november_fleet
    admin, _ = add_member(owner_engine, contoso.msp_id, Role.MSP_ADMIN)
    with unit_of_work(web_engine, admin) as uow:
        set_client_prices(uow, {"professional": D("6.00")})
    with unit_of_work(app_engine, Scope.for_msp(contoso.msp_id)) as uow:
        invoice_id = close_period(uow, NOVEMBER, _at(2026, 12, 2))
    with unit_of_work(web_engine, admin) as uow:
        set_client_prices(uow, {"professional": D("60.00")})
        stored = closed_invoice(uow, invoice_id)
    # Contoso: 200 user-days x 6.00 / 30 = 40.00, its margin 40.00 - 20.00; a later price changes nothing.
    contoso_line = next(s for s in stored.split if s.line.name == "Contoso")
    assert (contoso_line.client_amount, contoso_line.margin) == (D("40.00"), D("20.00"))


def test_the_portal_role_reads_no_money_even_in_a_scope_without_a_user(owner_engine: Engine, web_engine: Engine,
                                                                       app_engine: Engine,
                                                                       november_fleet: tuple[Seeded, Seeded]) -> None:
    """The portal opens user-less scopes (a sign-in's audit, an unsubscribe link); one injected statement
    there must not read invoices as the workers do."""
    contoso, _ = november_fleet
    with unit_of_work(app_engine, Scope.for_msp(contoso.msp_id)) as uow:
        close_period(uow, NOVEMBER, _at(2026, 12, 2))
    with unit_of_work(web_engine, Scope.for_msp(contoso.msp_id)) as uow:
        assert [uow.session.scalar(text(f"SELECT count(*) FROM {t}")) for t in
                ("invoices", "invoice_lines", "tier_prices", "billing_changes")] == [0, 0, 0, 0]
    with unit_of_work(app_engine, Scope.for_msp(contoso.msp_id)) as uow:
        assert uow.session.scalar(text("SELECT count(*) FROM invoices")) == 1


def test_a_held_service_changes_no_terms_even_with_sql(owner_engine: Engine, web_engine: Engine) -> None:
    from portal.services.billing import suspend_customer, suspend_msp

    seeded = make_customer(owner_engine, make_msp(owner_engine), name="Contoso")
    admin, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ADMIN)
    operator = _operator(owner_engine, seeded.msp_id)
    for hold, release in ((lambda uow: suspend_msp(uow, suspended=True), lambda uow: suspend_msp(uow, suspended=False)),
                          (lambda uow: suspend_customer(uow, seeded.customer_id, suspended=True),
                           lambda uow: suspend_customer(uow, seeded.customer_id, suspended=False))):
        with unit_of_work(web_engine, operator) as uow:
            hold(uow)
        for statement in ("SELECT posture_set_billing_terms(:c, 'starter', 1, 'custom')",
                          "SELECT posture_remove_customer(:c)"):
            with pytest.raises(DBAPIError, match="in service"), unit_of_work(web_engine, admin) as uow:
                uow.session.execute(text(statement), {"c": seeded.customer_id})
        with unit_of_work(web_engine, operator) as uow:
            release(uow)
    with unit_of_work(web_engine, admin) as uow:
        assert set_terms(uow, seeded.customer_id, seat_limit=1).seat_limit == 1


def test_lifting_the_operators_hold_keeps_the_msps_own_suspension(owner_engine: Engine, web_engine: Engine) -> None:
    from portal.services.billing import suspend_customer

    seeded = make_customer(owner_engine, make_msp(owner_engine), name="Contoso")
    admin, _ = add_member(owner_engine, seeded.msp_id, Role.MSP_ADMIN)
    operator = _operator(owner_engine, seeded.msp_id)
    with unit_of_work(web_engine, admin) as uow:  # the MSP's own suspension first
        uow.session.execute(text("SELECT posture_set_suspended(:c, true)"), {"c": seeded.customer_id})
    with unit_of_work(web_engine, operator) as uow:
        suspend_customer(uow, seeded.customer_id, suspended=True)
    with unit_of_work(web_engine, operator) as uow:
        suspend_customer(uow, seeded.customer_id, suspended=False)
    with owner_engine.connect() as connection:
        row = connection.execute(text("SELECT suspended_at, operator_suspended_at FROM customers WHERE id = :c"),
                                 {"c": seeded.customer_id}).one()
        events = connection.execute(text("SELECT action, actor FROM audit_events WHERE msp_id = :m "
                                         "AND action LIKE 'operator.%' ORDER BY id"), {"m": seeded.msp_id}).all()
    assert row.suspended_at is not None and row.operator_suspended_at is None
    assert [tuple(e) for e in events] == [("operator.customer_suspended", operator.actor),
                                          ("operator.customer_reactivated", operator.actor)]
