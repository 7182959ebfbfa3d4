"""``/api/v1/billing``: seats for the MSP's staff; terms, invoices and changes for its admins.

The same services and rule as the pages (``portal.web.billing.pages``); writes take a read-write
token. ``GET /api/v1/billing/invoice`` is CONTRACT.md's running invoice: its lines add up to its total.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ClientException, NotFoundException, PermissionDeniedException
from litestar.params import Body, FromPath

from portal.services.accounts import Action, may
from portal.services.billing import (
    TIERS,
    billing_changes,
    client_prices,
    closed_invoice,
    closed_invoices,
    invoice_document,
    remove_customer,
    running_invoice,
    seats_view,
    set_client_prices,
    set_terms,
    set_tier_names,
    split_of,
    tier_names,
)
from portal.services.errors import Forbidden, InvalidInput, NotFound
from portal.web.billing.schemas import (
    BillingChangeOut,
    BillingChangesOut,
    InvoicesOut,
    InvoiceSummaryOut,
    SeatOut,
    SeatsOut,
    TermsIn,
    TiersIn,
)
from portal.web.callers import API_CALLER, Caller, caller_unit_of_work
from portal.web.runtime import WebRuntime

__all__ = ["BillingApiController"]

_MONEY_ONLY = "billing is for the MSP's admins"


def _money(caller: Caller) -> None:
    if not may(caller.membership, Action.MANAGE_BILLING):
        raise PermissionDeniedException(_MONEY_ONLY)


class BillingApiController(Controller):
    path = "/api/v1/billing"
    tags = ["billing"]
    dependencies = API_CALLER

    @get("/seats", operation_id="listSeats", summary="Managed users against seat limits, per customer",
         raises=[PermissionDeniedException], sync_to_thread=True)
    def seats(self, request: Request, web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> SeatsOut:
        if not may(caller.membership, Action.VIEW_SEATS):
            raise PermissionDeniedException("seats are your service provider's to see")
        with caller_unit_of_work(web, caller, request) as uow:
            view = seats_view(uow)
        return _seats_out(view)

    @post("/customers/{customer_id:uuid}/terms", operation_id="setBillingTerms", status_code=200,
          summary="Set a customer's seat limit, service tier or licence type",
          description="Only the fields given change; a null seat_limit is unlimited. MSP admins, read-write token. "
                      "Every change is logged with who, when, old and new.",
          raises=[NotFoundException, PermissionDeniedException], sync_to_thread=True)
    def terms(self, request: Request, customer_id: FromPath[uuid.UUID], data: Annotated[TermsIn, Body()],
              web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> SeatOut:
        if caller.token_id is None or not caller.read_write:
            raise PermissionDeniedException("writes through the API take a read-write token")
        _money(caller)
        limit: Any = "keep" if data.seat_limit is msgspec.UNSET else data.seat_limit
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                set_terms(uow, customer_id, seat_limit=limit, service_tier=data.service_tier,
                          licence_type=data.licence_type)
                view = seats_view(uow)
        except NotFound:
            raise NotFoundException("no such customer, or not one you can see") from None
        except Forbidden as exc:
            raise PermissionDeniedException(str(exc)) from None
        except InvalidInput as exc:
            raise ClientException(str(exc)) from None
        return next(s for s in _seats_out(view).customers if s.id == customer_id)

    @get("/tiers", operation_id="listServiceTiers", summary="The MSP's service tiers (prices for MSP admins only)",
         raises=[PermissionDeniedException], sync_to_thread=True)
    def tiers(self, request: Request, web: NamedDependency[WebRuntime],
              caller: NamedDependency[Caller]) -> dict[str, Any]:
        if not may(caller.membership, Action.VIEW_SEATS):
            raise PermissionDeniedException("tiers are your service provider's to see")
        return _tiers_out(web, caller, request)

    @post("/tiers", operation_id="setServiceTiers", status_code=200,
          summary="Name the MSP's tiers and set its client prices (MSP admins, read-write token)",
          raises=[PermissionDeniedException], sync_to_thread=True)
    def set_tiers(self, request: Request, data: Annotated[TiersIn, Body()], web: NamedDependency[WebRuntime],
                  caller: NamedDependency[Caller]) -> dict[str, Any]:
        if caller.token_id is None or not caller.read_write:
            raise PermissionDeniedException("writes through the API take a read-write token")
        _money(caller)
        try:
            prices = {t: None if getattr(data.client_prices, t) is None else Decimal(getattr(data.client_prices, t))
                      for t in TIERS}
            with caller_unit_of_work(web, caller, request) as uow:
                set_tier_names(uow, {t: getattr(data.names, t) for t in TIERS})
                set_client_prices(uow, prices)
        except InvalidInput as exc:
            raise ClientException(str(exc)) from None
        except Forbidden as exc:
            raise PermissionDeniedException(str(exc)) from None
        return _tiers_out(web, caller, request)

    @post("/customers/{customer_id:uuid}/remove", operation_id="removeCustomer", status_code=200,
          summary="Remove a customer from the service: billed up to yesterday, no longer scanned",
          description="Its billing customers (a shared tenant's) go with it. MSP admins, read-write token.",
          raises=[NotFoundException, PermissionDeniedException], sync_to_thread=True)
    def remove(self, request: Request, customer_id: FromPath[uuid.UUID], web: NamedDependency[WebRuntime],
               caller: NamedDependency[Caller]) -> dict[str, Any]:
        if caller.token_id is None or not caller.read_write:
            raise PermissionDeniedException("writes through the API take a read-write token")
        _money(caller)
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                remove_customer(uow, customer_id)
        except NotFound:
            raise NotFoundException("no such customer, or not one you can see") from None
        except Forbidden as exc:
            raise PermissionDeniedException(str(exc)) from None
        return {"id": str(customer_id), "removed": True}

    @get("/invoice", operation_id="runningInvoice", summary="The current period's running invoice and its split",
         description="Amounts are decimal strings; the lines add up exactly to the total; the period's end is "
                     "its last day, inclusive. MSP admins only.",
         raises=[PermissionDeniedException], sync_to_thread=True)
    def invoice(self, request: Request, web: NamedDependency[WebRuntime],
                caller: NamedDependency[Caller]) -> dict[str, Any]:
        _money(caller)
        with caller_unit_of_work(web, caller, request) as uow:
            invoice = running_invoice(uow, dt.datetime.now(dt.UTC))
            split = split_of(invoice.lines, invoice.period, client_prices(uow))
        return invoice_document(invoice, split, status="running")

    @get("/invoices", operation_id="listInvoices", summary="The closed invoices, newest first",
         raises=[PermissionDeniedException], sync_to_thread=True)
    def invoices(self, request: Request, web: NamedDependency[WebRuntime],
                 caller: NamedDependency[Caller]) -> InvoicesOut:
        _money(caller)
        with caller_unit_of_work(web, caller, request) as uow:
            rows = closed_invoices(uow)
        return InvoicesOut(invoices=[InvoiceSummaryOut(
            id=r.id, period={"start": r.period_start.isoformat(),
                             "end": (r.period_end - dt.timedelta(days=1)).isoformat()},
            currency=r.currency, total=str(r.total), user_days=r.user_days, closed_at=r.closed_at) for r in rows])

    @get("/invoices/{invoice_id:uuid}", operation_id="getInvoice", summary="One closed invoice with its split",
         raises=[NotFoundException, PermissionDeniedException], sync_to_thread=True)
    def closed(self, request: Request, invoice_id: FromPath[uuid.UUID], web: NamedDependency[WebRuntime],
               caller: NamedDependency[Caller]) -> dict[str, Any]:
        _money(caller)
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                stored = closed_invoice(uow, invoice_id)
        except NotFound:
            raise NotFoundException("no such invoice") from None
        document = invoice_document(stored.invoice, stored.split, status="closed", invoice_id=str(stored.id))
        return document | {"closed_at": stored.closed_at.isoformat()}

    @get("/changes", operation_id="listBillingChanges", summary="Changes of tier, seat limit and licence type",
         raises=[PermissionDeniedException], sync_to_thread=True)
    def changes(self, request: Request, web: NamedDependency[WebRuntime],
                caller: NamedDependency[Caller]) -> BillingChangesOut:
        _money(caller)
        with caller_unit_of_work(web, caller, request) as uow:
            rows = billing_changes(uow, limit=500)
        return BillingChangesOut(changes=[BillingChangeOut(
            customer={"id": str(c.customer_id), "name": c.customer_name}, field=c.field, old_value=c.old_value,
            new_value=c.new_value, actor=c.actor, changed_at=c.changed_at) for c in rows])


def _tiers_out(web: WebRuntime, caller: Caller, request: Request) -> dict[str, Any]:
    """The tiers' names; their client prices too for those who see money."""
    money = may(caller.membership, Action.MANAGE_BILLING)
    with caller_unit_of_work(web, caller, request) as uow:
        names = tier_names(uow)
        prices = client_prices(uow) if money else {}
    return {"tiers": [{"key": t, "name": names[t],
                       **({"client_price": str(prices[t]) if t in prices else None} if money else {})} for t in TIERS]}


def _seats_out(view: Any) -> SeatsOut:
    return SeatsOut(
        customers=[SeatOut(id=r.customer_id, name=r.name, managed_users=r.managed_users, seat_limit=r.seat_limit,
                           status=r.status, licence_type=r.licence_type, service_tier=r.service_tier,
                           service_tier_name=view.tier_names[r.service_tier], onboarded_at=r.onboarded_at,
                           last_activity_at=r.last_activity_at, suspended=r.suspended) for r in view.rows],
        total_licensed_users=view.licensed_users, seat_capacity=view.capacity, over_limit=view.over_limit)
