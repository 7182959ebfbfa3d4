"""The fleet: every customer of an MSP, filtered, sorted and paged in SQL (``queries``), as a person
looks at it (``view``)."""

from portal.services.fleet.queries import (
    CHANGE_DAYS,
    PAGE_SIZE,
    TREND_DAYS,
    FleetFigures,
    FleetQuery,
    FleetRow,
    FleetSort,
    TrendPoint,
    fleet_figures,
    fleet_rows,
    fleet_trends,
    with_trends,
)
from portal.services.fleet.view import FleetKpis, FleetPage, fleet_view, is_stale, score_change

__all__ = ["CHANGE_DAYS", "PAGE_SIZE", "TREND_DAYS", "FleetFigures", "FleetKpis", "FleetPage", "FleetQuery",
           "FleetRow", "FleetSort", "TrendPoint", "fleet_figures", "fleet_rows", "fleet_trends", "fleet_view",
           "is_stale", "score_change", "with_trends"]
