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
from litestar.response import Redirect, Template

from portal.db.models import AccessTier
from portal.services.accounts import Action, CustomerAccess, may
from portal.services.audit import AuditFilter, audit_events
from portal.web.callers import Caller, caller_unit_of_work, session_caller
from portal.web.runtime import WebRuntime

__all__ = ["AuditController", "may_view_audit"]


def may_view_audit(caller: Caller) -> bool:
    membership = caller.membership
    if membership.is_msp_staff:
        return may(membership, Action.VIEW_MSP_AUDIT)
    assert membership.customer_id is not None
    # The tier does not bound a customer's own people (portal.services.accounts._access).
    return may(membership, Action.VIEW_AUDIT,
               CustomerAccess(membership.customer_id, membership.msp_id, AccessTier.MONITOR))


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

    @get("/", sync_to_thread=True)
    def page(self, request: Request, web: NamedDependency[WebRuntime]) -> Template | Redirect:
        caller = session_caller(request, web)
        if caller is None:
            return Redirect("/sign-in", status_code=303)
        if not may_view_audit(caller):
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
