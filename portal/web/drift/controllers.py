"""``/changes``: what changed across the fleet; ``/customers/{id}/changes``: one customer's timeline;
``/api/v1/drift``: the fleet's or one customer's drift as JSON.

The fleet page is MSP staff's, like the fleet (a customer's people have their tenant's timeline and the
API, scoped to their tenant). Row-level security limits every answer to the caller's customers.
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from typing import Annotated, Literal

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Template
from litestar.status_codes import HTTP_400_BAD_REQUEST
from sqlalchemy import select

from portal.db.models import Customer
from portal.services.drift import Period, drift, period_of, timeline
from portal.services.errors import InvalidInput
from portal.web.callers import API_CALLER, PAGE_CALLER, Caller, caller_unit_of_work, require_msp_staff
from portal.web.drift.schemas import ChangeOut, DriftOut
from portal.web.runtime import WebRuntime
from portal.web.search.schemas import CustomerRef

__all__ = ["DriftApiController", "DriftController"]

_STAFF_ONLY = "the fleet's changes are for MSP staff; your tenant's page links to its timeline"
#: Changes listed on the fleet page; the counts and the per-check tally always cover them all.
PAGE_LIMIT = 500


class DriftController(Controller):
    include_in_schema = False
    dependencies = PAGE_CALLER

    @get("/changes", sync_to_thread=True)
    def fleet(self, request: Request, web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> Template:
        require_msp_staff(caller, _STAFF_ONLY)
        now = dt.datetime.now(dt.UTC)
        kind, since = request.query_params.get("period") or "", request.query_params.get("since") or ""
        error = None
        try:
            period = period_of(kind, since if kind == "since" else None, now)
        except InvalidInput as exc:
            error, period = str(exc), period_of("week", None, now)
        with caller_unit_of_work(web, caller, request) as uow:
            answer = drift(uow, period, now=now)
        return Template("drift/fleet.html", status_code=HTTP_400_BAD_REQUEST if error else 200, context={
            "user": caller, "answer": answer, "error": error, "since": since, "limit": PAGE_LIMIT,
            "today": now.date().isoformat()})

    @get("/customers/{customer_id:uuid}/changes", sync_to_thread=True)
    def customer(self, request: Request, customer_id: FromPath[uuid.UUID], web: NamedDependency[WebRuntime],
                 caller: NamedDependency[Caller]) -> Template:
        now = dt.datetime.now(dt.UTC)
        with caller_unit_of_work(web, caller, request) as uow:
            name = uow.session.scalar(select(Customer.name).where(Customer.id == customer_id))
            if name is None:
                raise NotFoundException("no such customer, or not one you can see")
            week = drift(uow, period_of("week", None, now), now=now, customer_id=customer_id)
            steps = timeline(uow, customer_id, now=now)
        days = [(day, list(group)) for day, group in itertools.groupby(steps, key=lambda c: c.observed_at.date())]
        return Template("drift/customer.html", context={
            "user": caller, "customer_id": customer_id, "customer_name": name, "week": week, "days": days})


class DriftApiController(Controller):
    path = "/api/v1/drift"
    tags = ["drift"]
    dependencies = API_CALLER

    @get("/", operation_id="fleetDrift", summary="New, regressed and fixed findings over a period",
         description="Net changes per customer and check, newest first (at most 5,000 read: see truncated).",
         sync_to_thread=True)
    def fleet_drift(
        self, request: Request, web: NamedDependency[WebRuntime], caller: NamedDependency[Caller],
        period: Annotated[Literal["last_scan", "week"], QueryParameter(
            description="last_scan (what each customer's latest scan changed) or week (since Monday 00:00 UTC)")
        ] = "week",
        since: Annotated[dt.date | None, QueryParameter(
            description="Instead of period: changes since this day (00:00 UTC)")] = None,
        customer: Annotated[uuid.UUID | None, QueryParameter(description="One customer's drift only")] = None,
    ) -> DriftOut:
        now = dt.datetime.now(dt.UTC)
        chosen: Period = period_of(period, since, now)
        with caller_unit_of_work(web, caller, request) as uow:
            answer = drift(uow, chosen, now=now, customer_id=customer)
        return DriftOut(
            period=chosen.kind, since=chosen.since, counts=answer.counts, customers=answer.customers,
            truncated=answer.truncated, changes=[ChangeOut(
                customer=CustomerRef(c.customer_id, c.customer_name), check_id=c.check_id, title=c.title,
                severity=c.severity, kind=c.kind, from_status=c.from_status, to_status=c.to_status,
                observed_at=c.observed_at, scan_id=c.scan_id, accepted=c.accepted) for c in answer.changes])
