"""Customers in the JSON API (the fleet and customer pages arrive with issue 8)."""

from portal.web.customers.controllers import CustomersApiController

__all__ = ["CustomersApiController"]
