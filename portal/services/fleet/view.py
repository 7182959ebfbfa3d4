"""The fleet as a person looks at it: filtered, searched, sorted, paged, with the KPI cards on top.

The page, the CSV export and ``/api/v1/customers`` all call :func:`fleet_view`, so they answer the
same question the same way; the database does the work (``queries``).

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
from dataclasses import dataclass

from portal.db.uow import UnitOfWork
from portal.services.fleet.queries import (
    CHANGE_DAYS,
    PAGE_SIZE,
    FleetQuery,
    FleetRow,
    FleetSort,
    fleet_figures,
    fleet_rows,
)

__all__ = ["CHANGE_DAYS", "PAGE_SIZE", "FleetKpis", "FleetPage", "FleetQuery", "FleetSort", "fleet_view",
           "is_stale", "score_change"]


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
    """No scored scan within twice the customer's scan interval (a suspended customer is not stale: it is suspended)."""
    if row.suspended:
        return False
    if row.scored_at is None:
        return True
    return now - row.scored_at > dt.timedelta(hours=2 * row.scan_interval_hours)


def fleet_view(uow: UnitOfWork, query: FleetQuery, now: dt.datetime) -> FleetPage:
    """The page of the fleet that ``query`` asks for, with the KPIs of every customer it matches."""
    figures = fleet_figures(uow, query, now=now)
    page = max(1, query.page)  # past the last page: no rows (an API client pages until it sees none)
    return FleetPage(
        rows=fleet_rows(uow, query, now=now),
        kpis=FleetKpis(customers=figures.customers, average_score=figures.average_score,
                       open_critical=figures.open_critical, disconnected=figures.disconnected, stale=figures.stale),
        total=figures.customers, page=page, pages=max(1, -(-figures.customers // query.page_size)),
        tags=figures.tags,
    )
