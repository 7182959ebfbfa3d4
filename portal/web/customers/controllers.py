"""``GET /api/v1/customers``: every customer the caller may see, with the fleet's figures, paged."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from portal.services.fleet import fleet_summary
from portal.web.callers import caller_unit_of_work, require_caller
from portal.web.customers.schemas import CustomerOut, CustomersPage
from portal.web.runtime import WebRuntime

__all__ = ["PAGE_SIZE", "CustomersApiController"]

#: Customers per page.
PAGE_SIZE = 100


class CustomersApiController(Controller):
    path = "/api/v1/customers"
    tags = ["customers"]

    @get("/", operation_id="listCustomers", summary="The customers the caller may see", sync_to_thread=True)
    def list_customers(self, request: Request, web: NamedDependency[WebRuntime],
                       page: Annotated[int, QueryParameter(ge=1, le=100_000)] = 1) -> CustomersPage:
        caller = require_caller(request, web)
        with caller_unit_of_work(web, caller, request) as uow:
            rows = fleet_summary(uow)
        total = len(rows)
        chosen = rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
        return CustomersPage(
            customers=[CustomerOut(id=r.customer_id, name=r.name, tenant_id=r.tenant_id,
                                   connection_state=r.connection_state.value, score=r.score, grade=r.grade,
                                   coverage=r.coverage, last_scan_at=r.last_scan_at,
                                   last_scan_status=r.last_scan_status.value if r.last_scan_status else None,
                                   open_critical=r.open_critical, open_high=r.open_high) for r in chosen],
            page=page, pages=max(1, -(-total // PAGE_SIZE)), total=total)
