"""Drift pages and API: what changed across the fleet and in one customer's tenant."""

from portal.web.drift.controllers import DriftApiController, DriftController

__all__ = ["DriftApiController", "DriftController"]
