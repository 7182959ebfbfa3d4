"""Customers: their pages (posture, findings, "Scan now") and ``/api/v1/customers``."""

from portal.web.customers.controllers import CustomersApiController
from portal.web.customers.pages import CustomerPagesController

__all__ = ["CustomerPagesController", "CustomersApiController"]
