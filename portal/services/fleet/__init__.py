"""The fleet: every customer of an MSP on one page (``queries``), as a person filters and sorts it (``view``)."""

from portal.services.fleet.queries import (
    CHANGE_DAYS,
    TREND_DAYS,
    FleetRow,
    TrendPoint,
    fleet_summary,
    fleet_trends,
    with_trends,
)
from portal.services.fleet.view import (
    PAGE_SIZE,
    FleetKpis,
    FleetPage,
    FleetQuery,
    FleetSort,
    fleet_view,
    is_stale,
    score_change,
)

__all__ = ["CHANGE_DAYS", "PAGE_SIZE", "TREND_DAYS", "FleetKpis", "FleetPage", "FleetQuery", "FleetRow", "FleetSort",
           "TrendPoint", "fleet_summary", "fleet_trends", "fleet_view", "is_stale", "score_change", "with_trends"]
