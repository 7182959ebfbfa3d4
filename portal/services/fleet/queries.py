"""The fleet's data in SQL: the customers a query matches, counted, sorted and paged by PostgreSQL.

Per customer: connection state, the last finished scan (time and status), the score of the last
scan that produced one (a disconnected or failed scan has no score, and the page should keep
showing the last known posture beside the connection problem), open critical, open high and newly
failing checks (all kept on the customer row by the worker as scans finish, migration 0012), the
score a week before, and, for the rows a page shows, the 30-day trend from ``score_history``.

Decisions:
- The database filters, sorts and pages (:func:`fleet_rows`) and counts the KPI cards
  (:func:`fleet_figures`): the page reads fifty rows, not the fleet, so its cost barely grows with
  the fleet (bench/portal.py). Row-level security limits every table to the caller's scope; no
  ``msp_id`` filter is repeated.
- The score a week ago is one index probe per row shown (a ``LATERAL`` join on the page's rows);
  only sorting by change needs it for every match.
- Orders are total (the name, then the id, break ties) so pages never repeat or skip a customer;
  names compare lower-cased by code point (``COLLATE "C"``), whatever the server's locale.
- Trends are read for the page's rows only (:func:`with_trends`), as two parallel PostgreSQL arrays
  (days, scores) that psycopg2 turns into Python lists without a JSON detour.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Numeric, RowMapping, Select, Text, and_, any_, func, literal, or_, select, true
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import InstrumentedAttribute

from portal.db.models import AccessTier, ConnectionState, Customer, ScanStatus, ScoreHistory
from portal.db.uow import UnitOfWork

__all__ = ["CHANGE_DAYS", "PAGE_SIZE", "TREND_DAYS", "FleetFigures", "FleetQuery", "FleetRow", "FleetSort",
           "TrendPoint", "fleet_figures", "fleet_rows", "fleet_trends", "with_trends"]

#: Days of score history in the trend.
TREND_DAYS = 30
#: Days over which the score change is measured: a week is the period an MSP reviews, and a
#: day-to-day change is mostly noise.
CHANGE_DAYS = 7
#: Customers per page.
PAGE_SIZE = 50


class FleetSort(enum.StrEnum):
    NAME = "name"
    SCORE = "score"  # worst first: the page's purpose is what needs attention
    SCORE_DESC = "-score"
    CRITICAL = "critical"  # most open critical (then high) first
    LAST_SCAN = "last_scan"  # oldest successful scan first
    CHANGE = "change"  # biggest drop first


@dataclass(frozen=True)
class FleetQuery:
    """What the person asked for; every field is optional. Unknown values come in as None."""

    search: str = ""
    tag: str | None = None
    state: ConnectionState | None = None
    tier: AccessTier | None = None
    sort: FleetSort = FleetSort.NAME
    page: int = 1
    page_size: int = PAGE_SIZE


@dataclass(frozen=True)
class FleetFigures:
    """The KPI cards' figures over every customer a query matches, and every tag in scope."""

    customers: int
    average_score: float | None
    open_critical: int
    disconnected: int
    stale: int
    tags: list[str]


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
    suspended: bool = False  # not scanned on purpose: flagged as suspended, never as stale


_C = Customer.__table__.alias("c")
_TEXT, _NUMERIC = Text(), Numeric()


def _week_ago(now: dt.datetime) -> dt.date:
    return now.date() - dt.timedelta(days=CHANGE_DAYS)


def _score_before(customer_id: Any, now: dt.datetime) -> Any:
    """The latest daily score ``CHANGE_DAYS`` or more days ago: one probe of ix_score_history_scored."""
    return (
        select(ScoreHistory.score.label("score_before"))
        .where(ScoreHistory.customer_id == customer_id, ScoreHistory.day <= _week_ago(now),
               ScoreHistory.score.is_not(None))
        .order_by(ScoreHistory.day.desc()).limit(1).lateral("before")
    )


def _stale(now: dt.datetime) -> ColumnElement[bool]:
    """No scored scan within twice the customer's scan interval, and not suspended (``view.is_stale``, in SQL)."""
    return and_(_C.c.suspended_at.is_(None), or_(
        _C.c.scored_at.is_(None),
        _C.c.scored_at < literal(now) - func.make_interval(0, 0, 0, 0, 2 * _C.c.scan_interval_hours)))


def _matching(query: FleetQuery) -> list[ColumnElement[bool]]:
    # A billing customer sharing another's tenant has no posture of its own: it is on the licensing
    # and billing pages, its tenant on the fleet under its host (migration 0026).
    conditions: list[ColumnElement[bool]] = [_C.c.billing_host_id.is_(None)]
    if query.search:  # a substring, not a pattern: % and _ in a name mean themselves
        conditions.append(func.strpos(func.lower(_C.c.name), query.search.lower()) > 0)
    if query.tag:
        conditions.append(literal(query.tag) == any_(_C.c.tags))
    if query.state:
        conditions.append(_C.c.connection_state == query.state)
    if query.tier:
        conditions.append(_C.c.access_tier == query.tier)
    return conditions


def _order(sort: FleetSort, score_before: Any) -> list[ColumnElement[Any]]:
    """The sort, unknowns last (first for the oldest scan), then by name and id so the order is total."""
    by_name = [func.lower(_C.c.name).collate("C"), _C.c.id.cast(_TEXT)]
    score = _C.c.score
    if sort in (FleetSort.SCORE, FleetSort.SCORE_DESC):
        return [score.is_(None), score.desc() if sort is FleetSort.SCORE_DESC else score.asc(), *by_name]
    if sort is FleetSort.CRITICAL:
        return [_C.c.open_critical.desc(), _C.c.open_high.desc(), *by_name]
    if sort is FleetSort.CHANGE:
        change = func.round((score - score_before).cast(_NUMERIC), 1)
        return [change.is_(None), change.asc(), *by_name]
    if sort is FleetSort.LAST_SCAN:
        return [_C.c.scored_at.asc().nulls_first(), *by_name]
    return by_name


def fleet_rows(uow: UnitOfWork, query: FleetQuery, *, now: dt.datetime) -> list[FleetRow]:
    """The page of customers ``query`` asks for, in its order (two round trips at most: none for trends).

    The inner statement numbers every match in the asked order and keeps the page's ids; the outer one
    reads those rows and their score a week ago. Only a sort by change probes the history of every match.
    """
    before_all = _score_before(_C.c.id, now)
    numbered = select(_C.c.id, func.row_number().over(order_by=_order(query.sort, before_all.c.score_before))
                      .label("position")).select_from(_C)
    if query.sort is FleetSort.CHANGE:
        numbered = numbered.outerjoin(before_all, true())
    page = max(1, query.page)
    ids = (numbered.where(*_matching(query)).order_by("position")
           .limit(query.page_size).offset((page - 1) * query.page_size).subquery("page"))
    before = _score_before(_C.c.id, now)
    rows = _columns(before).select_from(ids.join(_C, _C.c.id == ids.c.id)).outerjoin(before, true()) \
        .order_by(ids.c.position)
    # Core, not the ORM session's execute: its result processing was a third of the time at 1,000 rows.
    return [_row(r._mapping) for r in uow.session.connection().execute(rows)]


def _columns(before: Any) -> Select[Any]:
    c = _C.c
    return select(c.id, c.name, c.tenant_id, c.connection_state, c.connection_reason, c.missing_permissions,
                  c.access_tier, c.tags, c.scan_interval_hours, c.open_critical, c.open_high, c.new_failing,
                  c.last_scan_at.label("last_at"), c.last_scan_status.label("last_status"),
                  c.score, c.grade, c.coverage, c.scored_at, before.c.score_before,
                  c.suspended_at.is_not(None).label("suspended"))


def fleet_figures(uow: UnitOfWork, query: FleetQuery, *, now: dt.datetime) -> FleetFigures:
    """The KPI cards over every customer ``query`` matches (one aggregate), and the tags in scope."""
    every_tag = select(func.unnest(_C.c.tags).collate("C").label("tag")).select_from(_C).distinct().subquery("tag")
    tags = select(func.array_agg(aggregate_order_by(every_tag.c.tag, every_tag.c.tag)))
    figures = select(
        func.count(), func.avg(_C.c.score), func.coalesce(func.sum(_C.c.open_critical), 0),
        func.count().filter(_C.c.connection_state == ConnectionState.DISCONNECTED),
        func.count().filter(_stale(now)), tags.scalar_subquery(),
    ).select_from(_C).where(*_matching(query))
    count, average, critical, disconnected, stale, tag_list = uow.session.connection().execute(figures).one()
    return FleetFigures(customers=int(count), average_score=None if average is None else round(float(average), 1),
                        open_critical=int(critical), disconnected=int(disconnected), stale=int(stale),
                        tags=list(tag_list or ()))


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
        score_before=m["score_before"], suspended=bool(m["suspended"]),
    )
