"""``GET /api/v1/customers``: every customer the caller may see, with the fleet page's figures, filters,
sorting and paging (the same question as ``/fleet``, answered by the same services)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from portal.services.fleet import fleet_view, is_stale, score_change
from portal.web.callers import API_CALLER, Caller, caller_unit_of_work
from portal.web.customers.schemas import CustomerOut, CustomersPage, FleetSummaryOut
from portal.web.fleet.query import fleet_query
from portal.web.runtime import WebRuntime

__all__ = ["PAGE_SIZE", "CustomersApiController"]

#: Customers per page.
PAGE_SIZE = 100


class CustomersApiController(Controller):
    path = "/api/v1/customers"
    tags = ["customers"]
    dependencies = API_CALLER

    @get("/", operation_id="listCustomers", summary="The customers the caller may see", sync_to_thread=True)
    def list_customers(
        self, request: Request, web: NamedDependency[WebRuntime], caller: NamedDependency[Caller],
        page: Annotated[int, QueryParameter(ge=1, le=100_000)] = 1,
        q: Annotated[str | None, QueryParameter(description="Part of the customer's name", max_length=200)] = None,
        tag: Annotated[str | None, QueryParameter(description="Only customers with this tag", max_length=100)] = None,
        connection_state: Annotated[str | None, QueryParameter(
            name="state", description="connected, degraded, disconnected or pending_consent", max_length=40)] = None,
        tier: Annotated[str | None, QueryParameter(description="monitor, operate or manage", max_length=40)] = None,
        sort: Annotated[str | None, QueryParameter(
            description="name, score (worst first), -score, critical, change or last_scan", max_length=40)] = None,
    ) -> CustomersPage:
        now = dt.datetime.now(dt.UTC)
        query = fleet_query({k: v for k, v in {"page": str(page), "q": q, "tag": tag, "state": connection_state,
                                               "tier": tier, "sort": sort}.items() if v},
                            page_size=PAGE_SIZE)
        with caller_unit_of_work(web, caller, request) as uow:
            view = fleet_view(uow, query, now)
        return CustomersPage(
            customers=[CustomerOut(
                id=r.customer_id, name=r.name, tenant_id=r.tenant_id, connection_state=r.connection_state.value,
                score=r.score, grade=r.grade, coverage=r.coverage, last_scan_at=r.last_scan_at,
                last_scan_status=r.last_scan_status.value if r.last_scan_status else None,
                open_critical=r.open_critical, open_high=r.open_high, new_since_last_scan=r.new_failing,
                score_change_7d=score_change(r), last_successful_scan_at=r.scored_at,
                stale=is_stale(r, now), access_tier=r.access_tier.value, tags=list(r.tags)) for r in view.rows],
            page=view.page, pages=view.pages, total=view.total,
            summary=FleetSummaryOut(customers=view.kpis.customers, average_score=view.kpis.average_score,
                                    open_critical=view.kpis.open_critical, disconnected=view.kpis.disconnected,
                                    stale=view.kpis.stale))
