"""The fleet: every customer of an MSP on one page (``queries``), as a person filters and sorts it (``view``)."""

from portal.services.fleet.queries import TREND_DAYS, FleetRow, TrendPoint, fleet_summary
from portal.services.fleet.view import (
    CHANGE_DAYS,
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
           "TrendPoint", "fleet_summary", "fleet_view", "is_stale", "score_change"]
