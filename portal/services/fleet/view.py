"""The fleet as a person looks at it: filtered, searched, sorted, paged, with the KPI cards on top.

Pure functions over :func:`portal.services.fleet.fleet_summary`'s rows, so the page, the CSV export and
``/api/v1/customers`` answer the same question the same way.

Decisions:
- The KPI cards count what the filters leave (a tag's customers when filtering by tag): the cards
  describe the list under them.
- "Change" is the score now minus the score ``CHANGE_DAYS`` ago (the latest daily score on or before
  that day).
- A scan is stale when the last scored scan is older than twice the customer's scan interval, or
  there is none: one missed run is a delay, two are a problem.
- Customers without a score sort last whichever way the score is sorted: "unknown" is neither good
  nor bad.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from portal.db.models import AccessTier, ConnectionState
from portal.services.fleet.queries import CHANGE_DAYS, FleetRow

__all__ = ["CHANGE_DAYS", "PAGE_SIZE", "FleetKpis", "FleetPage", "FleetQuery", "FleetSort", "fleet_view",
           "is_stale", "score_change"]

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
class FleetKpis:
    customers: int
    average_score: float | None
    open_critical: int
    disconnected: int
    stale: int


@dataclass(frozen=True)
class FleetPage:
    rows: list[FleetRow]
    kpis: FleetKpis
    total: int  # customers matching the filters
    page: int
    pages: int
    tags: list[str]  # every tag in the visible fleet, for the filter


def score_change(row: FleetRow) -> float | None:
    """The score now minus the score ``CHANGE_DAYS`` days ago; None without both."""
    if row.score is None or row.score_before is None:
        return None
    return round(row.score - row.score_before, 1)


def is_stale(row: FleetRow, now: dt.datetime) -> bool:
    """No scored scan within twice the customer's scan interval."""
    if row.scored_at is None:
        return True
    return now - row.scored_at > dt.timedelta(hours=2 * row.scan_interval_hours)


def _matches(row: FleetRow, query: FleetQuery) -> bool:
    if query.search and query.search.casefold() not in row.name.casefold():
        return False
    if query.tag and query.tag not in row.tags:
        return False
    if query.state and row.connection_state is not query.state:
        return False
    return not (query.tier and row.access_tier is not query.tier)


def _sorted(rows: list[FleetRow], sort: FleetSort, now: dt.datetime) -> list[FleetRow]:
    by_name = sorted(rows, key=lambda r: (r.name.casefold(), str(r.customer_id)))
    if sort is FleetSort.NAME:
        return by_name
    if sort in (FleetSort.SCORE, FleetSort.SCORE_DESC):
        scored = [r for r in by_name if r.score is not None]
        scored.sort(key=lambda r: r.score or 0.0, reverse=sort is FleetSort.SCORE_DESC)
        return scored + [r for r in by_name if r.score is None]
    if sort is FleetSort.CRITICAL:
        return sorted(by_name, key=lambda r: (-r.open_critical, -r.open_high))
    if sort is FleetSort.CHANGE:
        changes = {r.customer_id: score_change(r) for r in by_name}
        known = [r for r in by_name if changes[r.customer_id] is not None]
        known.sort(key=lambda r: changes[r.customer_id] or 0.0)
        return known + [r for r in by_name if changes[r.customer_id] is None]
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
    return sorted(by_name, key=lambda r: r.scored_at or oldest)


def fleet_view(rows: list[FleetRow], query: FleetQuery, now: dt.datetime) -> FleetPage:
    """The page of the fleet that ``query`` asks for, with the KPIs of every customer it matches."""
    chosen = [r for r in rows if _matches(r, query)]
    scores = [r.score for r in chosen if r.score is not None]
    kpis = FleetKpis(
        customers=len(chosen),
        average_score=round(sum(scores) / len(scores), 1) if scores else None,
        open_critical=sum(r.open_critical for r in chosen),
        disconnected=sum(r.connection_state is ConnectionState.DISCONNECTED for r in chosen),
        stale=sum(is_stale(r, now) for r in chosen),
    )
    pages = max(1, -(-len(chosen) // query.page_size))
    page = max(1, query.page)  # past the last page: no rows (an API client pages until it sees none)
    ordered = _sorted(chosen, query.sort, now)
    return FleetPage(
        rows=ordered[(page - 1) * query.page_size: page * query.page_size], kpis=kpis, total=len(chosen),
        page=page, pages=pages, tags=sorted({t for r in rows for t in r.tags}),
    )
