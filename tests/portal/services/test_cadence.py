"""Schedules: cadence with jitter, a time window in the customer's zone, suspension; who may change them.

Expected times are worked out by hand from the rules in ``portal.services.scans._cadence``.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError

from portal.db.models import Customer, Role, Scan, ScanStatus
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.errors import Forbidden, InvalidInput
from portal.services.scans import (
    ScanRefused,
    ScanWindow,
    enqueue_due_scans,
    next_scan_time,
    request_scan,
    run_scan,
    set_schedule,
    set_suspended,
)
from tests.portal.services.support import Seeded, add_member, insert_scan, make_customer, make_msp
from tests.portal.services.test_start import Recorder
from tests.support.database import set_scope

NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
LONDON = "Europe/London"


def test_the_jitter_delays_by_up_to_a_tenth_and_spreads_customers() -> None:
    after = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
    times = [next_scan_time(after, interval_hours=24, customer_id=uuid.uuid4()) for _ in range(200)]
    assert all(after + dt.timedelta(hours=24) <= t < after + dt.timedelta(hours=26) for t in times)
    # Spread, not bunched: 200 customers over the 120 minutes fill about 97 of them (120 (1 - e^(-200/120)));
    # bunched in one place they would fill a handful.
    assert len({t.replace(second=0, microsecond=0) for t in times}) > 70
    one = uuid.uuid4()  # the same customer on the same day lands at the same time: reproducible
    assert next_scan_time(after, interval_hours=24, customer_id=one) == next_scan_time(
        after, interval_hours=24, customer_id=one)
    weekly = next_scan_time(after, interval_hours=168, customer_id=one)
    assert after + dt.timedelta(days=7) <= weekly < after + dt.timedelta(days=7, hours=2)  # capped at two hours


def test_a_scan_due_outside_its_window_moves_to_the_next_opening() -> None:
    night = ScanWindow(22, 5, LONDON)  # over midnight
    # Due at 08:00 UTC on 3 March (08:00 in London, winter): moved to 22:00 that evening, within its
    # first half (22:00 to 01:30; the jitter is capped at two hours, so at most 23:59).
    due = next_scan_time(NOW, interval_hours=24, customer_id=uuid.uuid4(), window=night)
    assert dt.datetime(2026, 3, 3, 22, tzinfo=dt.UTC) <= due < dt.datetime(2026, 3, 4, 0, tzinfo=dt.UTC)
    assert night.holds(due)
    # In summer London is UTC+1: the window opens at 21:00 UTC.
    summer = dt.datetime(2026, 7, 1, 8, tzinfo=dt.UTC)
    due = next_scan_time(summer, interval_hours=24, customer_id=uuid.uuid4(), window=night)
    assert dt.datetime(2026, 7, 2, 21, tzinfo=dt.UTC) <= due < dt.datetime(2026, 7, 2, 23, tzinfo=dt.UTC)
    local = due.astimezone(zoneinfo.ZoneInfo(LONDON))
    assert local.hour in (22, 23)
    # Already inside the window: left where the interval put it.
    inside = dt.datetime(2026, 3, 2, 23, 0, tzinfo=dt.UTC)
    due = next_scan_time(inside, interval_hours=24, customer_id=uuid.uuid4(), window=night)
    assert inside + dt.timedelta(hours=24) <= due < inside + dt.timedelta(hours=26) and night.holds(due)


def test_the_day_clocks_change_keeps_the_local_hour() -> None:
    # 29 March 2026: London moves from UTC to UTC+1 at 01:00 UTC. A 02:00-04:00 local window that day
    # opens at 01:00 UTC (02:00 BST); the day before at 02:00 UTC.
    window = ScanWindow(2, 4, LONDON)
    assert window.next_opening(dt.datetime(2026, 3, 28, 12, tzinfo=dt.UTC)) == dt.datetime(
        2026, 3, 29, 1, tzinfo=dt.UTC)
    assert window.next_opening(dt.datetime(2026, 3, 27, 12, tzinfo=dt.UTC)) == dt.datetime(
        2026, 3, 28, 2, tzinfo=dt.UTC)


@pytest.mark.parametrize(("start", "end", "zone"), [(5, 5, "UTC"), (24, 3, "UTC"), (1, 3, "Mars/Olympus"),
                                                    (1, 3, "../../etc/passwd")])
def test_a_window_that_cannot_be_is_refused(start: int, end: int, zone: str) -> None:
    with pytest.raises(InvalidInput):
        ScanWindow(start, end, zone)


def _customer(app: Engine, seeded: Seeded) -> Customer:
    with unit_of_work(app, Scope.for_msp(seeded.msp_id)) as uow:
        customer = uow.session.get(Customer, seeded.customer_id)
        assert customer is not None
        uow.session.expunge(customer)
        return customer


def _set_tier(owner: Engine, seeded: Seeded, tier: str) -> None:
    with owner.begin() as connection:
        set_scope(connection, seeded.msp_id)
        connection.execute(text("UPDATE customers SET access_tier = :t WHERE id = :c"),
                           {"t": tier, "c": seeded.customer_id})


def test_staff_at_the_manage_tier_set_the_schedule_and_it_is_audited(owner_engine: Engine, app_engine: Engine,
                                                                     web_engine: Engine) -> None:
    msp_id = make_msp(owner_engine)
    seeded = make_customer(owner_engine, msp_id, next_scan_at=NOW + dt.timedelta(hours=3))
    analyst_scope, analyst = add_member(owner_engine, msp_id, Role.MSP_ANALYST)
    window = ScanWindow(22, 5, LONDON)
    with pytest.raises(Forbidden), unit_of_work(web_engine, analyst_scope) as uow:  # the Operate tier
        set_schedule(uow, analyst, seeded.customer_id, interval_hours=12, window=window, now=NOW)
    _set_tier(owner_engine, seeded, "manage")
    with unit_of_work(web_engine, analyst_scope) as uow:
        set_schedule(uow, analyst, seeded.customer_id, interval_hours=12, window=window, now=NOW)
    customer = _customer(app_engine, seeded)
    assert (customer.scan_interval_hours, customer.scan_window_start, customer.scan_window_end,
            customer.scan_timezone) == (12, 22, 5, LONDON)
    assert customer.next_scan_at is not None and window.holds(customer.next_scan_at)
    with owner_engine.connect() as connection:
        event = connection.execute(text("SELECT actor, details FROM audit_events WHERE customer_id = :c "
                                        "AND action = 'customer.schedule_changed'"), {"c": seeded.customer_id}).one()
    assert event.actor == "msp_analyst@members.test"
    assert event.details["after"] == {"interval_hours": 12, "window": "22:00-05:00 Europe/London"}
    with pytest.raises(InvalidInput), unit_of_work(web_engine, analyst_scope) as uow:
        set_schedule(uow, analyst, seeded.customer_id, interval_hours=0, window=None, now=NOW)


def test_a_customer_session_cannot_change_its_own_cadence_behind_the_service(owner_engine: Engine,
                                                                            web_engine: Engine) -> None:
    """The attack: a customer admin's session, with an injected statement, writes its cadence itself."""
    msp_id = make_msp(owner_engine)
    seeded = make_customer(owner_engine, msp_id)
    scope, _ = add_member(owner_engine, msp_id, Role.CUSTOMER_ADMIN, seeded.customer_id)
    with pytest.raises(DBAPIError, match="permission denied"), unit_of_work(web_engine, scope) as uow:
        uow.session.execute(text("UPDATE customers SET scan_interval_hours = 1 WHERE id = :c"),
                            {"c": seeded.customer_id})
    with pytest.raises(DBAPIError, match="not yours to schedule"), unit_of_work(web_engine, scope) as uow:
        uow.session.execute(text("SELECT posture_set_schedule(:c, 1, NULL, NULL, 'UTC')"), {"c": seeded.customer_id})
    with pytest.raises(DBAPIError, match="not yours to suspend"), unit_of_work(web_engine, scope) as uow:
        uow.session.execute(text("SELECT posture_set_suspended(:c, true)"), {"c": seeded.customer_id})
    analyst_scope, _ = add_member(owner_engine, msp_id, Role.MSP_ANALYST)  # suspension is the MSP admin's alone
    with pytest.raises(DBAPIError, match="not yours to suspend"), unit_of_work(web_engine, analyst_scope) as uow:
        uow.session.execute(text("SELECT posture_set_suspended(:c, true)"), {"c": seeded.customer_id})


def test_a_suspended_customer_is_not_scanned_until_resumed(owner_engine: Engine, app_engine: Engine,
                                                           web_engine: Engine) -> None:
    msp_id = make_msp(owner_engine)
    seeded = make_customer(owner_engine, msp_id, next_scan_at=NOW - dt.timedelta(minutes=5))
    queued_before = insert_scan(owner_engine, seeded)  # its message is still on its way to a worker
    admin_scope, admin = add_member(owner_engine, msp_id, Role.MSP_ADMIN)
    analyst_scope, analyst = add_member(owner_engine, msp_id, Role.MSP_ANALYST)
    with pytest.raises(Forbidden), unit_of_work(web_engine, analyst_scope) as uow:
        set_suspended(uow, analyst, seeded.customer_id, suspended=True)
    with unit_of_work(web_engine, admin_scope) as uow:
        assert set_suspended(uow, admin, seeded.customer_id, suspended=True)
    with unit_of_work(web_engine, admin_scope) as uow:
        assert not set_suspended(uow, admin, seeded.customer_id, suspended=True)  # already: nothing twice
    assert _customer(app_engine, seeded).suspended_by == "msp_admin@members.test"

    queue = Recorder()
    with unit_of_work(app_engine, Scope.for_msp(msp_id)) as uow:
        assert enqueue_due_scans(uow, NOW, queue=queue) == []
    with pytest.raises(ScanRefused, match="suspended"), unit_of_work(web_engine, admin_scope) as uow:
        request_scan(uow, seeded.customer_id, queue=queue, now=NOW)
    assert queue.sent == []
    # A worker that gets the message queued before the suspension fails that scan, with the reason.
    run = run_scan(app_engine, queued_before, msp_id, seeded.customer_id, scanner_env=None)  # type: ignore[arg-type]
    assert (run.status, run.recorded) == (ScanStatus.FAILED, False)
    with unit_of_work(app_engine, Scope.for_msp(msp_id)) as uow:
        scan = uow.session.get(Scan, queued_before)
        assert scan is not None and scan.status == ScanStatus.FAILED and "suspended" in (scan.failure_reason or "")

    with unit_of_work(web_engine, admin_scope) as uow:
        assert set_suspended(uow, admin, seeded.customer_id, suspended=False)
    with unit_of_work(app_engine, Scope.for_msp(msp_id)) as uow:
        # Resumed: due at once (the database's now(), which is after this test's NOW only if we ask then).
        due = uow.session.scalar(select(Customer.next_scan_at).where(Customer.id == seeded.customer_id))
        assert due is not None
        assert [s.customer_id for s in enqueue_due_scans(uow, due + dt.timedelta(seconds=1), queue=queue)] == [
            seeded.customer_id]
    with owner_engine.connect() as connection:
        actions = [r[0] for r in connection.execute(text(
            "SELECT action FROM audit_events WHERE customer_id = :c AND action LIKE 'customer.%' ORDER BY id"),
            {"c": seeded.customer_id})]
    assert actions == ["customer.suspended", "customer.resumed"]


@pytest.mark.parametrize("statement", [
    "UPDATE customers SET next_scan_at = 'infinity' WHERE id = :c",  # a suspension nobody audited
    "UPDATE customers SET tags = '{lenient}' WHERE id = :c",  # tags choose the baseline and alert rules
    "UPDATE customers SET connection_state = 'connected' WHERE id = :c",  # the tier: no grant at all (0024)
    "DELETE FROM customers WHERE id = :c",
])
def test_a_customer_session_cannot_rewrite_its_own_customer_row(owner_engine: Engine, web_engine: Engine,
                                                                statement: str) -> None:
    """The attack: a customer viewer's session (an injected statement) edits what the MSP decides."""
    msp_id = make_msp(owner_engine)
    seeded = make_customer(owner_engine, msp_id, next_scan_at=NOW)
    scope, _ = add_member(owner_engine, msp_id, Role.CUSTOMER_VIEWER, seeded.customer_id)
    with unit_of_work(web_engine, scope) as uow:
        # The restrictive policy's USING filters the row out: the statement changes nothing.
        assert uow.session.execute(text(statement), {"c": seeded.customer_id}).rowcount == 0
    with owner_engine.connect() as connection:
        row = connection.execute(text("SELECT next_scan_at, tags FROM customers WHERE id = :c"),
                                 {"c": seeded.customer_id}).one()
    assert (row.next_scan_at, row.tags) == (NOW, [])


def test_a_time_zone_the_database_does_not_know_is_refused_and_cannot_stop_the_schedule(
        owner_engine: Engine, app_engine: Engine, web_engine: Engine) -> None:
    msp_id = make_msp(owner_engine)
    seeded = make_customer(owner_engine, msp_id, next_scan_at=NOW - dt.timedelta(hours=1))
    scope, _ = add_member(owner_engine, msp_id, Role.MSP_ADMIN)
    with pytest.raises(DBAPIError, match="time zone"), unit_of_work(web_engine, scope) as uow:
        uow.session.execute(text("SELECT posture_set_schedule(:c, 24, CAST(1 AS smallint), CAST(3 AS smallint), "
                                 "'Mars/Olympus')"), {"c": seeded.customer_id})
    # Stored some other way all the same (an older row): the window is ignored, the scan still queued.
    with owner_engine.begin() as connection:
        set_scope(connection, msp_id)
        connection.execute(text("UPDATE customers SET scan_window_start = 1, scan_window_end = 3, "
                                "scan_timezone = 'Mars/Olympus' WHERE id = :c"), {"c": seeded.customer_id})
    queue = Recorder()
    with unit_of_work(app_engine, Scope.for_msp(msp_id)) as uow:
        assert [s.customer_id for s in enqueue_due_scans(uow, NOW, queue=queue)] == [seeded.customer_id]
