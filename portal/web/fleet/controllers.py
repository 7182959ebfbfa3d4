"""``GET /fleet``: the MSP's customers with KPI cards, filters, sorting and paging; ``/fleet/export.csv``.

MSP staff only (customer roles have their own tenant's page); row-level security limits the rows to
the caller's scope, so an analyst limited to tags sees exactly their customers here and in the
export.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.response import Template

from portal.services.accounts import Action, may
from portal.services.fleet import (
    CHANGE_DAYS,
    TREND_DAYS,
    FleetRow,
    fleet_view,
    is_stale,
    score_change,
    with_trends,
)
from portal.web.ago import ago
from portal.web.callers import PAGE_CALLER, Caller, caller_unit_of_work, require_msp_staff
from portal.web.fleet.query import fleet_query
from portal.web.runtime import WebRuntime
from portal.web.spreadsheet import csv_response

__all__ = ["FleetController"]

@dataclass(frozen=True)
class FleetLine:
    """A row of the page: the customer and what the page derives from it."""

    row: FleetRow
    change: float | None
    stale: bool
    age: str


#: Why a customer user is refused here.
_STAFF_ONLY = "the fleet is for MSP staff; your tenant's page is your home page"


class FleetController(Controller):
    path = "/fleet"
    include_in_schema = False
    dependencies = PAGE_CALLER

    @get("/", sync_to_thread=True)
    def page(self, request: Request, web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> Template:
        require_msp_staff(caller, _STAFF_ONLY)
        now = dt.datetime.now(dt.UTC)
        query = fleet_query(request.query_params)
        with caller_unit_of_work(web, caller, request) as uow:
            view = fleet_view(uow, query, now)
            shown = with_trends(uow, view.rows, today=now.date())  # sparklines for this page's rows only
        lines = [FleetLine(r, score_change(r), is_stale(r, now), ago(now, r.scored_at))
                 for r in shown]
        filters = {k: v for k, v in request.query_params.items() if k != "page" and v}
        return Template("fleet/page.html", context={
            "user": caller, "view": view, "lines": lines, "query": query, "filters": filters,
            "trend_start": now.date() - dt.timedelta(days=TREND_DAYS - 1), "trend_days": TREND_DAYS,
            "change_days": CHANGE_DAYS,
            "may_add_customers": may(caller.membership, Action.MANAGE_CUSTOMERS)})

    @get("/export.csv", sync_to_thread=True)
    def export(self, request: Request, web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> Response:
        require_msp_staff(caller, _STAFF_ONLY)
        now = dt.datetime.now(dt.UTC)
        query = fleet_query(request.query_params, page_size=1_000_000)  # every match, in the page's order
        with caller_unit_of_work(web, caller, request) as uow:
            view = fleet_view(uow, query, now)
        header = ["customer", "tenant_id", "score", "grade", "coverage", f"change_{CHANGE_DAYS}d", "open_critical",
                  "open_high", "new_since_last_scan", "connection_state", "access_tier", "tags", "last_successful_scan",
                  "stale"]
        rows = ((r.name, r.tenant_id, r.score, r.grade, r.coverage, score_change(r), r.open_critical, r.open_high,
                 r.new_failing, r.connection_state.value, r.access_tier.value, " ".join(r.tags),
                 r.scored_at.isoformat() if r.scored_at else "", "yes" if is_stale(r, now) else "no")
                for r in view.rows)
        return csv_response(header, rows, f"fleet-{now.date().isoformat()}.csv")
