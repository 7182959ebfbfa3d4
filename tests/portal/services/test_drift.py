"""Drift: the changes three scans make, read back per customer and for the fleet, within the scope.

The expected changes are written from the rules in ``portal.services.drift._classify`` (a check's
settled verdict is its last pass or fail), not read from the recorder.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, text

from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.drift import Period, change_of, drift, net_change, period_of, timeline
from portal.services.errors import InvalidInput
from scanner import Status
from tests.portal.services.support import (
    CRITICAL,
    HIGH,
    MEDIUM,
    make_customer,
    make_msp,
)
from tests.portal.services.support import record_verdicts as record
from tests.support.database import set_scope

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def _kinds(changes: list) -> dict[str, str]:  # type: ignore[type-arg]
    return {c.check_id: c.kind for c in changes}


@pytest.mark.parametrize(("settled", "previous", "status", "expected"), [
    (None, None, "fail", "new"),
    ("pass", "pass", "fail", "regressed"),
    ("fail", "fail", "pass", "fixed"),
    ("fail", "error", "fail", None),  # unreadable for a scan, then failing as before: no change
    ("pass", "not_applicable", "pass", None),
    (None, "not_applicable", "fail", "new"),
    ("fail", "fail", "error", "unreadable"),
    ("fail", "error", "error", None),
    (None, None, "error", None),  # never read yet: nothing to lose
    (None, None, "pass", None),
])
def test_change_rules(settled: str | None, previous: str | None, status: str, expected: str | None) -> None:
    kind = change_of(settled, previous, status)
    assert (kind.value if kind else None) == expected


def test_net_change_over_a_period() -> None:
    assert net_change("pass", "pass") is None  # regressed then fixed within the period
    assert net_change("fail", "fail") is None
    assert net_change(None, "fail").value == "new"  # type: ignore[union-attr]
    assert net_change("pass", "fail").value == "regressed"  # type: ignore[union-attr]
    assert net_change("fail", "pass").value == "fixed"  # type: ignore[union-attr]


def test_three_scans_give_new_then_regressed_and_fixed(owner_engine: Engine, app_engine: Engine) -> None:
    msp_id = make_msp(owner_engine)
    contoso = make_customer(owner_engine, msp_id, name="Contoso")
    t1, t2, t3 = NOW - dt.timedelta(days=9), NOW - dt.timedelta(days=2), NOW - dt.timedelta(hours=1)
    record(owner_engine, app_engine, contoso, {CRITICAL: Status.FAIL, HIGH: Status.PASS, MEDIUM: Status.FAIL}, t1)
    record(owner_engine, app_engine, contoso, {CRITICAL: Status.FAIL, HIGH: Status.FAIL, MEDIUM: Status.ERROR}, t2)
    third = record(owner_engine, app_engine, contoso,
                    {CRITICAL: Status.PASS, HIGH: Status.FAIL, MEDIUM: Status.FAIL}, t3)
    scope = Scope.for_msp(msp_id)
    with unit_of_work(app_engine, scope) as uow:
        steps = timeline(uow, contoso.customer_id, now=NOW)
        last = drift(uow, Period("last_scan", None), now=NOW)
        since_t2 = drift(uow, Period("since", t2 - dt.timedelta(minutes=1)), now=NOW)
        everything = drift(uow, Period("since", t1 - dt.timedelta(days=1)), now=NOW)
    # Timeline, newest first: scan 3 fixed the critical; scan 2 regressed the high and could not read
    # the medium. Scan 1 is where the history starts (no change); scan 3's medium fail is no change.
    assert [(s.observed_at, s.check_id, s.kind) for s in steps] == [
        (t3, CRITICAL, "fixed"),
        (t2, HIGH, "regressed"), (t2, MEDIUM, "unreadable"),
    ]
    assert _kinds(last.changes) == {CRITICAL: "fixed"}
    assert all(c.scan_id == third for c in last.changes)
    assert _kinds(since_t2.changes) == {CRITICAL: "fixed", HIGH: "regressed"}
    assert since_t2.counts == {"new": 0, "regressed": 1, "fixed": 1}
    # Since before the first scan: the same (the first scan changed nothing: it is the starting point).
    assert _kinds(everything.changes) == {CRITICAL: "fixed", HIGH: "regressed"}
    assert [c.check_id for c in since_t2.changes] == [CRITICAL, HIGH]  # newest first


def test_the_first_scan_is_the_starting_point_and_a_new_check_is_new(owner_engine: Engine, app_engine: Engine) -> None:
    seeded = make_customer(owner_engine, make_msp(owner_engine))
    record(owner_engine, app_engine, seeded, {HIGH: Status.FAIL}, NOW - dt.timedelta(days=2))  # onboarding
    # The next scan reads a check the first did not have (added to the catalogue since): failing, new.
    record(owner_engine, app_engine, seeded, {HIGH: Status.FAIL, CRITICAL: Status.FAIL}, NOW - dt.timedelta(days=1))
    with unit_of_work(app_engine, Scope.for_msp(seeded.msp_id)) as uow:
        assert [(s.check_id, s.kind) for s in timeline(uow, seeded.customer_id, now=NOW)] == [(CRITICAL, "new")]


def test_an_older_scan_recorded_late_logs_nothing(owner_engine: Engine, app_engine: Engine) -> None:
    seeded = make_customer(owner_engine, make_msp(owner_engine))
    record(owner_engine, app_engine, seeded, {HIGH: Status.PASS}, NOW - dt.timedelta(hours=1))
    record(owner_engine, app_engine, seeded, {HIGH: Status.FAIL}, NOW - dt.timedelta(hours=5))  # slow, older
    with unit_of_work(app_engine, Scope.for_msp(seeded.msp_id)) as uow:
        assert timeline(uow, seeded.customer_id, now=NOW) == []


def test_fleet_drift_is_scoped_and_marks_accepted(owner_engine: Engine, app_engine: Engine) -> None:
    msp_id = make_msp(owner_engine)
    contoso = make_customer(owner_engine, msp_id, name="Contoso")
    fabrikam = make_customer(owner_engine, msp_id, name="Fabrikam")
    other = make_customer(owner_engine, make_msp(owner_engine), name="Elsewhere")
    for seeded in (contoso, fabrikam, other):
        record(owner_engine, app_engine, seeded, {HIGH: Status.PASS}, NOW - dt.timedelta(days=1))
        record(owner_engine, app_engine, seeded, {HIGH: Status.FAIL}, NOW - dt.timedelta(hours=1))
    with owner_engine.begin() as connection:
        set_scope(connection, msp_id)
        connection.execute(text(
            "INSERT INTO risk_acceptances (msp_id, customer_id, check_id, reason, expires_at, accepted_by) "
            "VALUES (:m, :c, :k, 'printer', :e, 'admin@msp.test')"),
            {"m": msp_id, "c": fabrikam.customer_id, "k": HIGH, "e": NOW + dt.timedelta(days=3)})
    week = Period("since", NOW - dt.timedelta(days=2))
    with unit_of_work(app_engine, Scope.for_msp(msp_id)) as uow:
        fleet = drift(uow, week, now=NOW)
    assert {(c.customer_name, c.kind, c.accepted) for c in fleet.changes} == {
        ("Contoso", "regressed", False), ("Fabrikam", "regressed", True)}
    assert (fleet.customers, fleet.by_check[0].check_id, fleet.by_check[0].regressed) == (2, HIGH, 2)
    # A customer user's scope sees its own tenant's drift only, even asking for the fleet.
    with unit_of_work(app_engine, Scope.for_customer(msp_id, contoso.customer_id)) as uow:
        own = drift(uow, week, now=NOW)
        foreign = drift(uow, week, now=NOW, customer_id=fabrikam.customer_id)
    assert {c.customer_name for c in own.changes} == {"Contoso"}
    assert foreign.changes == []


def test_period_of_reads_the_page_parameters() -> None:
    wednesday = dt.datetime(2026, 12, 2, 15, 30, tzinfo=dt.UTC)
    assert period_of("", None, wednesday) == Period("week", dt.datetime(2026, 11, 30, tzinfo=dt.UTC))
    assert period_of("since", "2026-11-01", wednesday).since == dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    assert period_of("week", dt.date(2026, 12, 9), wednesday).kind == "since"  # a date wins; the future is empty
    assert period_of("last_scan", None, wednesday).since is None
    for kind, since in (("since", ""), ("since", "yesterday"), ("month", None)):
        with pytest.raises(InvalidInput):
            period_of(kind, since, wednesday)
