"""Billing pages and API: seats, tiers, the running invoice and its split, closed invoices."""

from portal.web.billing.api import BillingApiController
from portal.web.billing.pages import BillingController
from portal.web.billing.tenants import TenantApiController, TenantController

__all__ = ["BillingApiController", "BillingController", "TenantApiController", "TenantController"]
