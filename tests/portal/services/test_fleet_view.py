"""The fleet as a person filters, sorts and pages it, and the KPI cards over what the filters leave.

Customers are written by hand here (their figures as the worker keeps them on the row, and a score a
week back where the case needs one); what is expected follows from the definitions in
``portal.services.fleet.view`` (a week's change, stale after two missed intervals, unknown scores last).
The database filters, sorts and pages, so these run on PostgreSQL under row-level security.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import pytest
from sqlalchemy import Engine, text

from portal.db.models import AccessTier, ConnectionState
from portal.db.scope import Scope
from portal.db.uow import unit_of_work
from portal.services.fleet import FleetPage, FleetQuery, FleetRow, FleetSort, fleet_view, is_stale, score_change
from tests.portal.services.support import make_customer, make_msp
from tests.support.database import set_scope

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


def row(name: str, score: float | None, *, tags: tuple[str, ...] = (), critical: int = 0, high: int = 0,
        state: ConnectionState = ConnectionState.CONNECTED, tier: AccessTier = AccessTier.OPERATE,
        scored_hours_ago: float | None = 1, week_ago: float | None = None) -> FleetRow:
    """A customer; ``week_ago``: its score a week ago."""
    return FleetRow(
        customer_id=uuid.uuid4(), name=name, tenant_id=str(uuid.uuid4()), connection_state=state,
        connection_reason=None, missing_permissions=(), last_scan_at=None, last_scan_status=None, score=score,
        grade=None, coverage=None,
        scored_at=None if scored_hours_ago is None else NOW - dt.timedelta(hours=scored_hours_ago),
        open_critical=critical, open_high=high, access_tier=tier, tags=tags, score_before=week_ago)


@pytest.fixture
def fleet(owner_engine: Engine, app_engine: Engine):  # type: ignore[no-untyped-def]
    """``fleet(rows)`` writes the rows as one MSP's customers; ``fleet.view(query)`` reads them back."""

    class Fleet:
        msp = make_msp(owner_engine)

        def __call__(self, rows: list[FleetRow]) -> None:
            for r in rows:
                seeded = make_customer(owner_engine, self.msp, name=r.name, state=r.connection_state)
                with owner_engine.begin() as connection:
                    set_scope(connection, self.msp)
                    connection.execute(text(
                        "UPDATE customers SET score = :score, scored_at = :at, open_critical = :crit, "
                        "open_high = :high, access_tier = :tier, tags = :tags WHERE id = :c"),
                        {"score": r.score, "at": r.scored_at, "crit": r.open_critical, "high": r.open_high,
                         "tier": r.access_tier.value, "tags": list(r.tags), "c": seeded.customer_id})
                    if r.score_before is not None:
                        scan = uuid.uuid4()
                        connection.execute(text(
                            "INSERT INTO scans (id, msp_id, customer_id, trigger, status) "
                            "VALUES (:s, :m, :c, 'schedule', 'completed')"),
                            {"s": scan, "m": self.msp, "c": seeded.customer_id})
                        connection.execute(text(
                            "INSERT INTO score_history (customer_id, day, msp_id, scan_id, score, grade, coverage) "
                            "VALUES (:c, :d, :m, :s, :score, 'C', 1.0)"),
                            {"c": seeded.customer_id, "d": NOW.date() - dt.timedelta(days=7), "m": self.msp,
                             "s": scan, "score": r.score_before})

        def view(self, query: FleetQuery) -> FleetPage:
            with unit_of_work(app_engine, Scope.for_msp(self.msp)) as uow:
                return fleet_view(uow, query, NOW)

    return Fleet()


def test_the_change_is_against_the_score_a_week_ago() -> None:
    assert score_change(row("a", 80.0, week_ago=70.0)) == 10.0
    assert score_change(row("b", 80.0)) is None  # no reading a week back
    assert score_change(row("c", None, week_ago=60.0)) is None


def test_a_scan_is_stale_after_two_missed_intervals() -> None:
    assert not is_stale(row("a", 1.0, scored_hours_ago=47), NOW)
    assert is_stale(row("b", 1.0, scored_hours_ago=49), NOW)
    assert is_stale(row("c", None, scored_hours_ago=None), NOW)
    # Suspended on purpose: flagged as suspended, not as stale.
    assert not is_stale(dataclasses.replace(row("d", 1.0, scored_hours_ago=200), suspended=True), NOW)


def test_a_suspended_customer_is_not_counted_stale(fleet, owner_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    fleet([row("Old", 50.0, scored_hours_ago=100), row("Paused", 50.0, scored_hours_ago=100)])
    with owner_engine.begin() as connection:
        set_scope(connection, fleet.msp)
        connection.execute(text("UPDATE customers SET suspended_at = now() WHERE name = 'Paused' AND msp_id = :m"),
                           {"m": fleet.msp})
    view = fleet.view(FleetQuery())
    assert view.kpis.stale == 1
    assert {r.name: r.suspended for r in view.rows} == {"Old": False, "Paused": True}


def test_filters_search_and_the_kpis_describe_what_is_left(fleet) -> None:  # type: ignore[no-untyped-def]
    fleet([row("Contoso", 40.0, tags=("gold",), critical=2), row("Fabrikam", 90.0, tags=("gold", "eu")),
           row("Litware", None, state=ConnectionState.DISCONNECTED, scored_hours_ago=None),
           row("Northwind", 70.0, tier=AccessTier.MONITOR, critical=1, scored_hours_ago=100),
           row("50% off_", 10.0, tags=("eu",))])
    everything = fleet.view(FleetQuery())
    assert (everything.kpis.customers, everything.kpis.average_score, everything.kpis.open_critical,
            everything.kpis.disconnected, everything.kpis.stale) == (5, 52.5, 3, 1, 2)
    assert everything.tags == ["eu", "gold"]

    gold = fleet.view(FleetQuery(tag="gold"))
    assert [r.name for r in gold.rows] == ["Contoso", "Fabrikam"]
    assert (gold.kpis.customers, gold.kpis.average_score, gold.kpis.open_critical) == (2, 65.0, 2)
    assert [r.name for r in fleet.view(FleetQuery(search="WARE")).rows] == ["Litware"]
    assert [r.name for r in fleet.view(FleetQuery(search="%")).rows] == ["50% off_"]  # not a pattern
    assert [r.name for r in fleet.view(FleetQuery(search="_")).rows] == ["50% off_"]
    assert [r.name for r in fleet.view(FleetQuery(state=ConnectionState.DISCONNECTED)).rows] == ["Litware"]
    assert [r.name for r in fleet.view(FleetQuery(tier=AccessTier.MONITOR)).rows] == ["Northwind"]
    assert fleet.view(FleetQuery(search="nobody")).kpis.average_score is None


def test_sorting_puts_what_needs_attention_first_and_unknown_scores_last(fleet) -> None:  # type: ignore[no-untyped-def]
    fleet([row("Bravo", 70.0, critical=1, high=5, week_ago=90.0),
           row("Alpha", None, scored_hours_ago=None),
           row("Charlie", 30.0, critical=1, high=9, scored_hours_ago=30, week_ago=20.0),
           row("Delta", 95.0, scored_hours_ago=5)])

    def names(sort: FleetSort) -> list[str]:
        return [r.name for r in fleet.view(FleetQuery(sort=sort)).rows]

    assert names(FleetSort.NAME) == ["Alpha", "Bravo", "Charlie", "Delta"]
    assert names(FleetSort.SCORE) == ["Charlie", "Bravo", "Delta", "Alpha"]
    assert names(FleetSort.SCORE_DESC) == ["Delta", "Bravo", "Charlie", "Alpha"]
    assert names(FleetSort.CRITICAL) == ["Charlie", "Bravo", "Alpha", "Delta"]
    assert names(FleetSort.CHANGE) == ["Bravo", "Charlie", "Alpha", "Delta"]  # -20, +10, then no change known
    assert names(FleetSort.LAST_SCAN) == ["Alpha", "Charlie", "Delta", "Bravo"]


@pytest.mark.parametrize("sort", list(FleetSort))
def test_paging_keeps_every_customer_once_and_past_the_end_is_empty(fleet, sort: FleetSort) -> None:  # type: ignore[no-untyped-def]
    # Twelve customers share each score and name stem: ties must not repeat or skip anyone across pages.
    fleet([row(f"Customer {i % 12:03}", float(i % 10), week_ago=float(i % 3), critical=i % 2) for i in range(120)])
    pages = [fleet.view(FleetQuery(sort=sort, page=p, page_size=50)) for p in (1, 2, 3, 4)]
    assert [len(p.rows) for p in pages] == [50, 50, 20, 0]
    assert {p.pages for p in pages} == {3} and {p.total for p in pages} == {120}
    assert len({r.customer_id for p in pages for r in p.rows}) == 120
