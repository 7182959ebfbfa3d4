"""The fleet: every customer of an MSP on one page (``portal.services.fleet.queries``)."""

from portal.services.fleet.queries import TREND_DAYS, FleetRow, TrendPoint, fleet_summary

__all__ = ["TREND_DAYS", "FleetRow", "TrendPoint", "fleet_summary"]
