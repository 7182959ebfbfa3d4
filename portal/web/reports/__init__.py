"""Reports: a customer's executive reports, the fleet report, and their API."""

from portal.web.reports.controllers import FleetReportsController, ReportsApiController, ReportsController

__all__ = ["FleetReportsController", "ReportsApiController", "ReportsController"]
