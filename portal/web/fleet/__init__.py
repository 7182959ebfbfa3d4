"""The fleet page and its CSV export: every customer the MSP staff member may see."""

from portal.web.fleet.controllers import FleetController

__all__ = ["FleetController"]
