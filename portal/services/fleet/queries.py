"""The fleet page's data: one row per visible customer, in one SQL round trip; trends for the rows shown.

Per customer: connection state, the last finished scan (time and status), the score of the last
scan that produced one (a disconnected or failed scan has no score, and the page should keep
showing the last known posture beside the connection problem), open critical, open high and newly
failing checks (all kept on the customer row by the worker as scans finish, migration 0012), the
score a week before, and, for the rows a page shows, the 30-day trend from ``score_history``.

Decisions:
- One statement over ``customers`` with one ``LATERAL`` index probe (the score a week ago), so the
  fleet costs one round trip and no sort of any history whatever its size (bench/portal.py).
  Row-level security limits every table to the caller's scope; no ``msp_id`` filter is repeated.
- Trends are read for the page's rows only (:func:`with_trends`), as two parallel PostgreSQL arrays
  (days, scores) that psycopg2 turns into Python lists without a JSON detour: reading 30 days for a
  thousand customers to draw fifty sparklines was most of the page's time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, func, select, true
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import InstrumentedAttribute

from portal.db.models import AccessTier, ConnectionState, Customer, ScanStatus, ScoreHistory
from portal.db.uow import UnitOfWork

__all__ = ["CHANGE_DAYS", "TREND_DAYS", "FleetRow", "TrendPoint", "fleet_summary", "fleet_trends", "with_trends"]

#: Days of score history in the trend.
TREND_DAYS = 30
#: Days over which the score change is measured: a week is the period an MSP reviews, and a
#: day-to-day change is mostly noise.
CHANGE_DAYS = 7


@dataclass(frozen=True)
class TrendPoint:
    day: dt.date
    score: float | None


@dataclass(frozen=True)
class FleetRow:
    """One customer on the fleet page.

    Attributes:
        last_scan_at, last_scan_status: the most recent scan that finished (any outcome).
        score, grade, coverage, scored_at: from the most recent completed or partial scan.
        open_critical, open_high: failing checks of that severity in the projection.
        new_failing: checks that started failing at the last scan (failing now, passing or unknown
            at the scan before; a tenant's first scan has nothing "new since the last scan").
        trend: daily scores of the last ``TREND_DAYS`` days, oldest first.
    """

    customer_id: uuid.UUID
    name: str
    tenant_id: str | None
    connection_state: ConnectionState
    connection_reason: str | None
    missing_permissions: tuple[str, ...]
    last_scan_at: dt.datetime | None
    last_scan_status: ScanStatus | None
    score: float | None
    grade: str | None
    coverage: float | None
    scored_at: dt.datetime | None
    open_critical: int
    open_high: int
    trend: tuple[TrendPoint, ...] = ()
    access_tier: AccessTier = AccessTier.OPERATE
    tags: tuple[str, ...] = ()
    scan_interval_hours: int = 24
    new_failing: int = 0
    score_before: float | None = None  # the score ``CHANGE_DAYS`` days ago (the latest on or before then)


def fleet_summary(uow: UnitOfWork, *, today: dt.date | None = None) -> list[FleetRow]:
    """Every customer in scope, by name, with its fleet-page figures (one SQL statement; no trend:
    :func:`fleet_trends` adds it to the rows a page shows)."""
    week_ago = (today or dt.datetime.now(dt.UTC).date()) - dt.timedelta(days=CHANGE_DAYS)
    c = Customer.__table__.alias("c")
    before = (
        select(ScoreHistory.score)
        .where(ScoreHistory.customer_id == c.c.id, ScoreHistory.day <= week_ago, ScoreHistory.score.is_not(None))
        .order_by(ScoreHistory.day.desc()).limit(1).lateral("before")
    )
    query = (
        select(
            c.c.id, c.c.name, c.c.tenant_id, c.c.connection_state, c.c.connection_reason, c.c.missing_permissions,
            c.c.access_tier, c.c.tags, c.c.scan_interval_hours, c.c.open_critical, c.c.open_high, c.c.new_failing,
            c.c.last_scan_at.label("last_at"), c.c.last_scan_status.label("last_status"),
            c.c.score, c.c.grade, c.c.coverage, c.c.scored_at, before.c.score.label("score_before"),
        )
        .select_from(c)
        .outerjoin(before, true())
        .order_by(c.c.name, c.c.id)
    )
    # Core, not the ORM session's execute: its result processing was a third of the time at 1,000 rows.
    return [_row(r._mapping) for r in uow.session.connection().execute(query)]


def fleet_trends(uow: UnitOfWork, customer_ids: list[uuid.UUID], *,
                 today: dt.date | None = None) -> dict[uuid.UUID, tuple[TrendPoint, ...]]:
    """The daily scores of the last ``TREND_DAYS`` days of these customers, oldest first."""
    if not customer_ids:
        return {}
    since = (today or dt.datetime.now(dt.UTC).date()) - dt.timedelta(days=TREND_DAYS - 1)
    query = (
        select(ScoreHistory.customer_id, func.array_agg(_by_day(ScoreHistory.day)).label("days"),
               func.array_agg(_by_day(ScoreHistory.score)).label("scores"))
        .where(ScoreHistory.customer_id.in_(customer_ids), ScoreHistory.day >= since)
        .group_by(ScoreHistory.customer_id)
    )
    return {r.customer_id: tuple(TrendPoint(d, v) for d, v in zip(r.days, r.scores, strict=True))
            for r in uow.session.connection().execute(query)}


def with_trends(uow: UnitOfWork, rows: list[FleetRow], *, today: dt.date | None = None) -> list[FleetRow]:
    """``rows`` with their trends (one statement for all of them)."""
    trends = fleet_trends(uow, [r.customer_id for r in rows], today=today)
    return [dataclasses.replace(r, trend=trends.get(r.customer_id, ())) for r in rows]


def _by_day(column: InstrumentedAttribute[Any]) -> ColumnElement[Any]:
    """``column ORDER BY day`` inside ``array_agg``: both arrays share the order, so they line up."""
    return aggregate_order_by(column, ScoreHistory.day)


def _row(m: RowMapping) -> FleetRow:
    return FleetRow(
        customer_id=m["id"], name=m["name"], tenant_id=m["tenant_id"],
        connection_state=ConnectionState(m["connection_state"]), connection_reason=m["connection_reason"],
        missing_permissions=tuple(m["missing_permissions"] or ()),
        last_scan_at=m["last_at"], last_scan_status=ScanStatus(m["last_status"]) if m["last_status"] else None,
        score=m["score"], grade=m["grade"], coverage=m["coverage"], scored_at=m["scored_at"],
        open_critical=int(m["open_critical"]), open_high=int(m["open_high"]),
        access_tier=AccessTier(m["access_tier"]), tags=tuple(m["tags"] or ()),
        scan_interval_hours=int(m["scan_interval_hours"]), new_failing=int(m["new_failing"]),
        score_before=m["score_before"],
    )
