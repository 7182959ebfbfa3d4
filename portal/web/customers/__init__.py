"""Customers: their pages (posture, findings, "Scan now") and ``/api/v1/customers``."""

from portal.web.customers.controllers import CustomersApiController
from portal.web.customers.pages import CustomerPagesController
from portal.web.customers.risks import RisksController
from portal.web.customers.schedule import ScheduleController

__all__ = ["CustomerPagesController", "CustomersApiController", "RisksController", "ScheduleController"]
