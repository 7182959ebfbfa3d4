"""The fleet page's data: one row per visible customer, in one SQL round trip.

Per customer: connection state, the last finished scan (time and status), the score of the last
scan that produced one (a disconnected or failed scan has no score, and the page should keep
showing the last known posture beside the connection problem), open critical and high failures
from the projection (``latest_results``), and the 30-day trend from ``score_history``.

Decisions:
- One statement with two ``LATERAL`` subqueries (last finished scan, last scored scan) and two
  grouped subqueries (failure counts, trend arrays), so the page costs one round trip whatever the
  fleet size. Row-level security limits every table to the caller's scope; no ``msp_id`` filter is
  repeated here.
- The trend comes back as two parallel PostgreSQL arrays (days, scores), which psycopg2 turns into
  Python lists of ``date`` and ``float`` without a JSON detour.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, func, literal, select, true
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import InstrumentedAttribute

from portal.db.models import AccessTier, ConnectionState, Customer, LatestResult, Scan, ScanStatus, ScoreHistory
from portal.db.uow import UnitOfWork

__all__ = ["TREND_DAYS", "FleetRow", "TrendPoint", "fleet_summary"]

#: Days of score history in the trend.
TREND_DAYS = 30

_SCORED = (ScanStatus.COMPLETED, ScanStatus.PARTIAL)


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
    trend: tuple[TrendPoint, ...]
    access_tier: AccessTier = AccessTier.OPERATE
    tags: tuple[str, ...] = ()
    scan_interval_hours: int = 24
    new_failing: int = 0


def fleet_summary(uow: UnitOfWork, *, today: dt.date | None = None) -> list[FleetRow]:
    """Every customer in scope, by name, with its fleet-page figures (one SQL statement)."""
    since = (today or dt.datetime.now(dt.UTC).date()) - dt.timedelta(days=TREND_DAYS - 1)
    c = Customer.__table__.alias("c")
    last = (
        select(Scan.finished_at.label("at"), Scan.status.label("status"))
        .where(Scan.customer_id == c.c.id, Scan.finished_at.is_not(None))
        .order_by(Scan.finished_at.desc()).limit(1).lateral("last")
    )
    scored = (
        select(Scan.score, Scan.grade, Scan.coverage, Scan.finished_at.label("at"))
        .where(Scan.customer_id == c.c.id, Scan.status.in_(_SCORED))
        .order_by(Scan.finished_at.desc()).limit(1).lateral("scored")
    )
    failing = (
        select(
            LatestResult.customer_id,
            func.count().filter(LatestResult.severity == "critical").label("critical"),
            func.count().filter(LatestResult.severity == "high").label("high"),
            func.count().filter(LatestResult.status_since == LatestResult.last_seen_at,
                                LatestResult.first_seen_at < LatestResult.last_seen_at).label("new"),
        )
        .where(LatestResult.status == "fail").group_by(LatestResult.customer_id).subquery("failing")
    )
    trend = (
        select(
            ScoreHistory.customer_id,
            func.array_agg(_by_day(ScoreHistory.day)).label("days"),
            func.array_agg(_by_day(ScoreHistory.score)).label("scores"),
        )
        .where(ScoreHistory.day >= since).group_by(ScoreHistory.customer_id).subquery("trend")
    )
    query = (
        select(
            c.c.id, c.c.name, c.c.tenant_id, c.c.connection_state, c.c.connection_reason, c.c.missing_permissions,
            c.c.access_tier, c.c.tags, c.c.scan_interval_hours,
            func.coalesce(failing.c.new, literal(0)).label("new"),
            last.c.at.label("last_at"), last.c.status.label("last_status"),
            scored.c.score, scored.c.grade, scored.c.coverage, scored.c.at.label("scored_at"),
            func.coalesce(failing.c.critical, literal(0)).label("critical"),
            func.coalesce(failing.c.high, literal(0)).label("high"),
            trend.c.days,
            trend.c.scores,
        )
        .select_from(c)
        .outerjoin(last, true())
        .outerjoin(scored, true())
        .outerjoin(failing, failing.c.customer_id == c.c.id)
        .outerjoin(trend, trend.c.customer_id == c.c.id)
        .order_by(c.c.name, c.c.id)
    )
    return [_row(r._mapping) for r in uow.session.execute(query)]


def _by_day(column: InstrumentedAttribute[Any]) -> ColumnElement[Any]:
    """``column ORDER BY day`` inside ``array_agg``: both arrays share the order, so they line up."""
    return aggregate_order_by(column, ScoreHistory.day)


def _row(m: RowMapping) -> FleetRow:
    days = list(m["days"] or [])
    scores = list(m["scores"] or [])
    return FleetRow(
        customer_id=m["id"], name=m["name"], tenant_id=m["tenant_id"],
        connection_state=ConnectionState(m["connection_state"]), connection_reason=m["connection_reason"],
        missing_permissions=tuple(m["missing_permissions"] or ()),
        last_scan_at=m["last_at"], last_scan_status=ScanStatus(m["last_status"]) if m["last_status"] else None,
        score=m["score"], grade=m["grade"], coverage=m["coverage"], scored_at=m["scored_at"],
        open_critical=int(m["critical"]), open_high=int(m["high"]),
        trend=tuple(TrendPoint(d, s) for d, s in zip(days, scores, strict=True)),
        access_tier=AccessTier(m["access_tier"]), tags=tuple(m["tags"] or ()),
        scan_interval_hours=int(m["scan_interval_hours"]), new_failing=int(m["new"]),
    )
