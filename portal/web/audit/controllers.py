"""``GET /audit``: the audit trail in scope, filterable by actor, action, customer and time.

MSP admins see the MSP's whole trail; customer admins their tenant's (row-level security keeps the
rest out of reach whatever the filters say); other roles get 403.
"""

from __future__ import annotations

import datetime as dt
import uuid

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.response import Template

from portal.services.audit import AuditFilter, audit_events
from portal.web.callers import PAGE_CALLER, Caller, caller_unit_of_work
from portal.web.runtime import WebRuntime

__all__ = ["AuditController"]


def _date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), dt.UTC)
    except ValueError:
        return None


class AuditController(Controller):
    path = "/audit"
    include_in_schema = False
    dependencies = PAGE_CALLER

    @get("/", sync_to_thread=True)
    def page(self, request: Request, web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> Template:
        if not caller.may_view_audit:
            raise PermissionDeniedException("only MSP admins and customer admins read the audit trail")
        params = request.query_params
        try:
            customer = uuid.UUID(params["customer"]) if params.get("customer") else None
        except ValueError:
            customer = None
        until = _date(params.get("until"))
        where = AuditFilter(actor=params.get("actor") or None, action=params.get("action") or None,
                            customer_id=customer, since=_date(params.get("since")),
                            until=until + dt.timedelta(days=1) if until else None)
        try:
            page = max(1, min(int(params.get("page", "1")), 10_000))
        except ValueError:
            page = 1
        with caller_unit_of_work(web, caller, request) as uow:
            events, more = audit_events(uow, where, page=page)
        return Template("audit/list.html", context={
            "user": caller, "events": events, "more": more, "page": page, "filters": dict(params)})
