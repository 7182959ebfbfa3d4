"""Billing in the portal, for the MSP's staff.

- ``/billing/licensing``: seats. KPI cards, each customer's managed users against its limit (a bar
  that turns red over it), and, for MSP admins, a Set limit dialog. All staff (``Action.VIEW_SEATS``).
- ``/billing``: the billing overview: tiers, licence types, activity and onboarding dates, search and
  sort; the tier names and client prices; the log of every change. MSP admins (``MANAGE_BILLING``).
- ``/billing/invoice``: the running invoice of the period, the bill split beside the client prices
  (the margin per customer), the closed invoices; CSV and JSON exports. MSP admins only.

Money is refused to analysts and customers here, and the database shows them none (migration 0024).
The dialog opens without script (the ``command``/``commandfor`` invoker attributes): the page keeps the
portal's no-inline-script policy.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal, InvalidOperation
from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST

from portal.services.accounts import Action, may
from portal.services.billing import (
    LICENCE_TYPES,
    SEAT_SORTS,
    SPLIT_HEADER,
    TIERS,
    billing_changes,
    client_prices,
    closed_invoice,
    closed_invoices,
    invoice_document,
    rate_card,
    remove_customer,
    running_invoice,
    seats_view,
    set_client_prices,
    set_terms,
    set_tier_names,
    split_of,
    split_rows,
    tier_names,
)
from portal.services.errors import Forbidden, InvalidInput, NotFound
from portal.web.callers import PAGE_CALLER, Caller, caller_unit_of_work
from portal.web.runtime import WebRuntime
from portal.web.spreadsheet import csv_response

__all__ = ["BillingController", "TermsForm", "parse_seat_limit"]

_FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
_NOT_FOUND = "no such customer, or not one you can see"
_SEATS_ONLY = "seats are your service provider's to see"
_MONEY_ONLY = "billing is for the MSP's admins"
_BACK = {"licensing": "/billing/licensing", "billing": "/billing"}


class TermsForm(msgspec.Struct):
    seat_limit: str | None = None  # blank: unlimited; absent: unchanged
    service_tier: str | None = None
    licence_type: str | None = None
    back: str = "licensing"


class TiersForm(msgspec.Struct):
    name_starter: str = ""
    name_professional: str = ""
    name_enterprise: str = ""
    price_starter: str = ""
    price_professional: str = ""
    price_enterprise: str = ""


class RemoveForm(msgspec.Struct):
    confirm: str = ""


def parse_seat_limit(value: str) -> int | None:
    """A seat limit as typed: blank is unlimited; thousands separators are allowed."""
    text = value.replace(",", "").replace(" ", "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise InvalidInput("a seat limit is a whole number of users, or blank for unlimited")
    return int(text)


def _price(value: str, tier: str) -> Decimal | None:
    text = value.replace(",", "").strip()
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise InvalidInput(f"the {tier} client price is an amount such as 4.50") from None


def _require(caller: Caller, action: Action, why: str) -> None:
    if not may(caller.membership, action):
        raise PermissionDeniedException(why)


class BillingController(Controller):
    path = "/billing"
    include_in_schema = False
    dependencies = PAGE_CALLER

    @get("/licensing", sync_to_thread=True)
    def licensing(self, request: Request, web: NamedDependency[WebRuntime],
                  caller: NamedDependency[Caller]) -> Template:
        _require(caller, Action.VIEW_SEATS, _SEATS_ONLY)
        return self._licensing(request, web, caller)

    def _licensing(self, request: Request, web: WebRuntime, caller: Caller, *, error: str | None = None,
                   status_code: int = 200) -> Template:
        q = request.query_params.get("q", "")[:200]
        sort = request.query_params.get("sort", "name")
        sort = sort if sort in SEAT_SORTS else "name"
        with caller_unit_of_work(web, caller, request) as uow:
            view = seats_view(uow, q=q, sort=sort)
        return Template("billing/licensing.html", status_code=status_code, context={
            "user": caller, "view": view, "q": q, "sort": sort, "error": error,
            "may_set": may(caller.membership, Action.MANAGE_BILLING), "licence_types": LICENCE_TYPES,
            "saved": request.query_params.get("saved")})

    @post("/customers/{customer_id:uuid}/terms", sync_to_thread=True)
    def terms(self, request: Request, customer_id: FromPath[uuid.UUID], data: Annotated[TermsForm, _FORM],
              web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> Redirect | Template:
        _require(caller, Action.MANAGE_BILLING, "only the MSP's admins change a customer's seats and tier")
        back = data.back if data.back in _BACK else "licensing"
        try:
            limit = "keep" if data.seat_limit is None else parse_seat_limit(data.seat_limit)
            with caller_unit_of_work(web, caller, request) as uow:
                set_terms(uow, customer_id, seat_limit=limit, service_tier=data.service_tier or None,  # type: ignore[arg-type]
                          licence_type=data.licence_type or None)
        except NotFound:
            raise NotFoundException(_NOT_FOUND) from None
        except Forbidden as exc:
            raise PermissionDeniedException(str(exc)) from None
        except InvalidInput as exc:
            if back == "billing":
                return self._overview(request, web, caller, error=str(exc), status_code=HTTP_400_BAD_REQUEST)
            return self._licensing(request, web, caller, error=str(exc), status_code=HTTP_400_BAD_REQUEST)
        return Redirect(f"{_BACK[back]}?saved={customer_id}#c-{customer_id}", status_code=303)

    @post("/customers/{customer_id:uuid}/remove", sync_to_thread=True)
    def remove(self, request: Request, customer_id: FromPath[uuid.UUID], data: Annotated[RemoveForm, _FORM],
               web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> Redirect | Template:
        _require(caller, Action.MANAGE_BILLING, "only the MSP's admins remove a customer from the service")
        if data.confirm != "remove":
            return self._overview(request, web, caller, status_code=HTTP_400_BAD_REQUEST,
                                  error="tick the box to confirm the removal: it ends the customer's service")
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                remove_customer(uow, customer_id)
        except NotFound:
            raise NotFoundException(_NOT_FOUND) from None
        except Forbidden as exc:
            raise PermissionDeniedException(str(exc)) from None
        return Redirect("/billing?removed=1", status_code=303)

    @get("/", sync_to_thread=True)
    def overview(self, request: Request, web: NamedDependency[WebRuntime],
                 caller: NamedDependency[Caller]) -> Template:
        _require(caller, Action.MANAGE_BILLING, _MONEY_ONLY)
        return self._overview(request, web, caller)

    def _overview(self, request: Request, web: WebRuntime, caller: Caller, *, error: str | None = None,
                  status_code: int = 200) -> Template:
        q = request.query_params.get("q", "")[:200]
        sort = request.query_params.get("sort", "name")
        sort = sort if sort in SEAT_SORTS else "name"
        with caller_unit_of_work(web, caller, request) as uow:
            view = seats_view(uow, q=q, sort=sort, include_removed=True)
            prices = client_prices(uow)
            changes = billing_changes(uow, limit=50)
        return Template("billing/overview.html", status_code=status_code, context={
            "user": caller, "view": view, "q": q, "sort": sort, "error": error, "tiers": TIERS, "prices": prices,
            "licence_types": LICENCE_TYPES, "changes": changes, "saved": request.query_params.get("saved"),
            "removed": request.query_params.get("removed") == "1", "tiers_saved": request.query_params.get("tiers")})

    @post("/tiers", sync_to_thread=True)
    def save_tiers(self, request: Request, data: Annotated[TiersForm, _FORM], web: NamedDependency[WebRuntime],
                   caller: NamedDependency[Caller]) -> Redirect | Template:
        _require(caller, Action.MANAGE_BILLING, "only the MSP's admins name its tiers and set its prices")
        try:
            prices = {tier: _price(getattr(data, f"price_{tier}"), tier) for tier in TIERS}
            with caller_unit_of_work(web, caller, request) as uow:
                set_tier_names(uow, {tier: getattr(data, f"name_{tier}") for tier in TIERS})
                set_client_prices(uow, prices)
        except Forbidden as exc:
            raise PermissionDeniedException(str(exc)) from None
        except InvalidInput as exc:
            return self._overview(request, web, caller, error=str(exc), status_code=HTTP_400_BAD_REQUEST)
        return Redirect("/billing?tiers=saved#tiers", status_code=303)

    @get("/invoice", sync_to_thread=True)
    def invoice(self, request: Request, web: NamedDependency[WebRuntime],
                caller: NamedDependency[Caller]) -> Template:
        _require(caller, Action.MANAGE_BILLING, _MONEY_ONLY)
        now = dt.datetime.now(dt.UTC)
        with caller_unit_of_work(web, caller, request) as uow:
            invoice = running_invoice(uow, now)
            split = split_of(invoice.lines, invoice.period, client_prices(uow))
            card = rate_card(uow)
            names = tier_names(uow)
            closed = closed_invoices(uow)
        return Template("billing/invoice.html", context={
            "user": caller, "invoice": invoice, "split": split, "card": card, "names": names, "closed": closed,
            "today": now.date(), "status": "running"})

    @get("/invoice.csv", sync_to_thread=True)
    def invoice_csv(self, request: Request, web: NamedDependency[WebRuntime],
                    caller: NamedDependency[Caller]) -> Response[str]:
        _require(caller, Action.MANAGE_BILLING, _MONEY_ONLY)
        with caller_unit_of_work(web, caller, request) as uow:
            invoice = running_invoice(uow, dt.datetime.now(dt.UTC))
            split = split_of(invoice.lines, invoice.period, client_prices(uow))
        return csv_response(SPLIT_HEADER, split_rows(invoice, split),
                            f"bill-split-{invoice.period.start:%Y-%m}-running.csv")

    @get("/invoice.json", sync_to_thread=True)
    def invoice_json(self, request: Request, web: NamedDependency[WebRuntime],
                     caller: NamedDependency[Caller]) -> Response[str]:
        _require(caller, Action.MANAGE_BILLING, _MONEY_ONLY)
        with caller_unit_of_work(web, caller, request) as uow:
            invoice = running_invoice(uow, dt.datetime.now(dt.UTC))
            split = split_of(invoice.lines, invoice.period, client_prices(uow))
        return Response(json.dumps(invoice_document(invoice, split, status="running"), indent=2),
                        media_type="application/json", headers={
                            "Content-Disposition": f'attachment; filename="invoice-{invoice.period.start:%Y-%m}.json"'})

    @get("/invoices/{invoice_id:uuid}", sync_to_thread=True)
    def closed(self, request: Request, invoice_id: FromPath[uuid.UUID], web: NamedDependency[WebRuntime],
               caller: NamedDependency[Caller]) -> Template:
        _require(caller, Action.MANAGE_BILLING, _MONEY_ONLY)
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                stored = closed_invoice(uow, invoice_id)
                names = tier_names(uow)
        except NotFound:
            raise NotFoundException("no such invoice") from None
        return Template("billing/invoice.html", context={
            "user": caller, "invoice": stored.invoice, "split": stored.split, "names": names, "stored": stored,
            "status": "closed", "closed": [], "card": None, "today": None})

    @get("/invoices/{invoice_id:uuid}/export.csv", sync_to_thread=True)
    def closed_csv(self, request: Request, invoice_id: FromPath[uuid.UUID], web: NamedDependency[WebRuntime],
                   caller: NamedDependency[Caller]) -> Response[str]:
        _require(caller, Action.MANAGE_BILLING, _MONEY_ONLY)
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                stored = closed_invoice(uow, invoice_id)
        except NotFound:
            raise NotFoundException("no such invoice") from None
        return csv_response(SPLIT_HEADER, split_rows(stored.invoice, stored.split),
                            f"bill-split-{stored.invoice.period.start:%Y-%m}.csv")
