"""The platform operator's pages and API: every MSP, its rate card, its running and closed invoices.

- ``/operator``: the MSPs, with their customers and current rate.
- ``/operator/msps/{id}``: one MSP's rate card (volume bands, add-ons), its running invoice and its
  closed ones; ``POST .../rate-card`` sets the card (prices the running period from then on).
- ``/api/v1/operator/msps/{id}/rate-card``: the same card, read and set, with a session or a token
  (a token writes only when it is read-write).

Who is an operator is the database's answer (``posture_scope_is_operator()``), asked on every request;
``users.is_platform_operator`` is written only by the platform's owner. An operator needs no membership
of any MSP: the operator's caller is the session's (or the token's) user, not an organisation.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import (
    ClientException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST
from sqlalchemy import text

from portal.db.scope import Scope
from portal.db.uow import UnitOfWork, unit_of_work
from portal.services.accounts import current_session, token_caller
from portal.services.billing import (
    ADDONS,
    MspListing,
    Period,
    RateCard,
    RateCardForm,
    closed_invoices,
    invoice_references,
    next_card,
    operator_msps,
    operator_notes,
    operator_scope,
    rate_card,
    rate_text,
    running_invoice,
    save_rate_card,
    seats_view,
    set_invoice_reference,
    set_operator_note,
    suspend_customer,
    suspend_msp,
)
from portal.services.errors import Forbidden, InvalidInput, NotFound
from portal.web.billing.schemas import AddOnIO, BandIO, RateCardIn, RateCardOut
from portal.web.callers import SignInRequired
from portal.web.cookies import session_token
from portal.web.runtime import WebRuntime

__all__ = ["OperatorApiController", "OperatorController"]

_OPERATORS_ONLY = "this is the platform operator's"
_BAND_ROWS = 6
_FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


class SuspensionForm(msgspec.Struct):
    suspended: str = ""  # "1": suspend; anything else: reactivate


class NoteForm(msgspec.Struct):
    note: str = ""


class ReferenceForm(msgspec.Struct):
    reference: str = ""
    note: str = ""


def _starting(choice: str, now: dt.datetime) -> dt.date:
    """The first day a new card prices: this month's (the running invoice is repriced) or next month's."""
    this_month = Period.month_of(now.date())
    return this_month.start if choice == "this_month" else this_month.end


def _has_customer(uow: UnitOfWork, customer_id: uuid.UUID) -> bool:
    return bool(uow.session.scalar(text("SELECT EXISTS (SELECT FROM customers WHERE id = :c)"), {"c": customer_id}))


@dataclass(frozen=True)
class Operator:
    """A signed-in user who may be the platform operator (the database checks on every request)."""

    user_id: uuid.UUID
    email: str
    display_name: str
    read_write: bool = True


def _page_operator(request: Request, web: NamedDependency[WebRuntime]) -> Operator:
    if request.headers.get("authorization"):
        raise SignInRequired  # a token opens no page
    session = current_session(web.engine, session_token(request, web.tls))
    if session is None:
        raise SignInRequired
    if not session.is_platform_operator:
        raise PermissionDeniedException(f"{_OPERATORS_ONLY} page")
    return Operator(session.user_id, session.email, session.display_name)


def _api_operator(request: Request, web: NamedDependency[WebRuntime]) -> Operator:
    authorization = request.headers.get("authorization", "")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        found = token_caller(web.engine, token.strip()) if scheme.lower() == "bearer" else None
        if found is None:
            raise NotAuthorizedException("send a valid personal API token as 'Authorization: Bearer'",
                                         headers={"WWW-Authenticate": 'Bearer realm="posture"'})
        return Operator(found.user_id, found.email, found.display_name, found.read_write)
    session = current_session(web.engine, session_token(request, web.tls))
    if session is None:
        raise NotAuthorizedException("sign in, or send a valid personal API token as 'Authorization: Bearer'",
                                     headers={"WWW-Authenticate": 'Bearer realm="posture"'})
    return Operator(session.user_id, session.email, session.display_name, read_write=False)


def _scope(web: WebRuntime, operator: Operator, msp_id: uuid.UUID) -> tuple[Scope, MspListing]:
    try:
        return operator_scope(web.engine, operator.user_id, operator.email, msp_id)
    except Forbidden:
        raise PermissionDeniedException(_OPERATORS_ONLY) from None
    except NotFound:
        raise NotFoundException("no such MSP") from None


class OperatorController(Controller):
    path = "/operator"
    include_in_schema = False
    dependencies = {"operator": Provide(_page_operator, sync_to_thread=True)}

    @get("/", sync_to_thread=True)
    def msps(self, web: NamedDependency[WebRuntime], operator: NamedDependency[Operator]) -> Template:
        try:
            listing = operator_msps(web.engine, operator.user_id, operator.email)
        except Forbidden:
            raise PermissionDeniedException(f"{_OPERATORS_ONLY} page") from None
        cards = {}
        for msp in listing:
            with unit_of_work(web.engine, Scope(msp.id, actor=operator.email, user_id=operator.user_id)) as uow:
                cards[msp.id] = rate_card(uow)
        return Template("operator/list.html", context={"operator": operator, "msps": listing, "cards": cards})

    @get("/msps/{msp_id:uuid}", sync_to_thread=True)
    def msp(self, request: Request, msp_id: FromPath[uuid.UUID], web: NamedDependency[WebRuntime],
            operator: NamedDependency[Operator]) -> Template:
        return self._msp(request, web, operator, msp_id)

    def _msp(self, request: Request, web: WebRuntime, operator: Operator, msp_id: uuid.UUID, *,
             error: str | None = None, status_code: int = 200) -> Template:
        scope, msp = _scope(web, operator, msp_id)
        now = dt.datetime.now(dt.UTC)
        with unit_of_work(web.engine, scope) as uow:
            current = rate_card(uow)
            scheduled = next_card(uow, now)
            invoice = running_invoice(uow, now)
            closed = closed_invoices(uow)
            customers = seats_view(uow, include_removed=True).rows
            notes = operator_notes(uow)
            references = invoice_references(uow)
        card = scheduled[1] if scheduled else current  # the form edits the latest card
        bands = list(card.bands) + [None] * max(0, _BAND_ROWS - len(card.bands))
        return Template("operator/msp.html", status_code=status_code, context={
            "operator": operator, "msp": msp, "card": card, "current": current, "scheduled": scheduled,
            "this_month": invoice.period, "bands": bands, "invoice": invoice, "closed": closed,
            "addons": {a.key: a for a in card.addons}, "addon_labels": ADDONS, "error": error,
            "customers": customers, "notes": notes, "references": references, "rate_text": rate_text,
            "saved": request.query_params.get("saved")})

    def _act(self, request: Request, web: WebRuntime, operator: Operator, msp_id: uuid.UUID,
             action: Callable[[UnitOfWork], object], saved: str) -> Redirect | Template:
        scope, _ = _scope(web, operator, msp_id)
        try:
            with unit_of_work(web.engine, scope) as uow:
                action(uow)
        except InvalidInput as exc:
            return self._msp(request, web, operator, msp_id, error=str(exc), status_code=HTTP_400_BAD_REQUEST)
        except NotFound:
            raise NotFoundException("no such customer or invoice of this MSP") from None
        except Forbidden:
            raise PermissionDeniedException(_OPERATORS_ONLY) from None
        return Redirect(f"/operator/msps/{msp_id}?saved={saved}", status_code=303)

    @post("/msps/{msp_id:uuid}/suspension", sync_to_thread=True)
    def suspend(self, request: Request, msp_id: FromPath[uuid.UUID], data: Annotated[SuspensionForm, _FORM],
                web: NamedDependency[WebRuntime], operator: NamedDependency[Operator]) -> Redirect | Template:
        return self._act(request, web, operator, msp_id,
                         lambda uow: suspend_msp(uow, suspended=data.suspended == "1"), "suspension")

    @post("/msps/{msp_id:uuid}/note", sync_to_thread=True)
    def note(self, request: Request, msp_id: FromPath[uuid.UUID], data: Annotated[NoteForm, _FORM],
             web: NamedDependency[WebRuntime], operator: NamedDependency[Operator]) -> Redirect | Template:
        return self._act(request, web, operator, msp_id, lambda uow: set_operator_note(uow, None, data.note), "note")

    @post("/msps/{msp_id:uuid}/customers/{customer_id:uuid}/suspension", sync_to_thread=True)
    def hold_customer(self, request: Request, msp_id: FromPath[uuid.UUID], customer_id: FromPath[uuid.UUID],
                         data: Annotated[SuspensionForm, _FORM], web: NamedDependency[WebRuntime],
                         operator: NamedDependency[Operator]) -> Redirect | Template:
        def hold(uow: UnitOfWork) -> None:
            if not suspend_customer(uow, customer_id, suspended=data.suspended == "1") and not _has_customer(
                    uow, customer_id):
                raise NotFound(f"customer {customer_id} not found")
        return self._act(request, web, operator, msp_id, hold, f"customer-{customer_id}")

    @post("/msps/{msp_id:uuid}/customers/{customer_id:uuid}/note", sync_to_thread=True)
    def customer_note(self, request: Request, msp_id: FromPath[uuid.UUID], customer_id: FromPath[uuid.UUID],
                      data: Annotated[NoteForm, _FORM], web: NamedDependency[WebRuntime],
                      operator: NamedDependency[Operator]) -> Redirect | Template:
        return self._act(request, web, operator, msp_id, lambda uow: set_operator_note(uow, customer_id, data.note),
                         f"customer-{customer_id}")

    @post("/msps/{msp_id:uuid}/invoices/{invoice_id:uuid}/reference", sync_to_thread=True)
    def reference(self, request: Request, msp_id: FromPath[uuid.UUID], invoice_id: FromPath[uuid.UUID],
                  data: Annotated[ReferenceForm, _FORM], web: NamedDependency[WebRuntime],
                  operator: NamedDependency[Operator]) -> Redirect | Template:
        return self._act(request, web, operator, msp_id,
                         lambda uow: set_invoice_reference(uow, invoice_id, data.reference, data.note),
                         f"invoice-{invoice_id}")

    @post("/msps/{msp_id:uuid}/rate-card", sync_to_thread=True)
    def save(self, request: Request, msp_id: FromPath[uuid.UUID], web: NamedDependency[WebRuntime],
             operator: NamedDependency[Operator],
             data: Annotated[dict[str, str | list[str]], Body(media_type=RequestEncodingType.URL_ENCODED)]
             ) -> Redirect | Template:
        scope, _ = _scope(web, operator, msp_id)

        def many(name: str) -> list[str]:
            value = data.get(name, [])
            return [value] if isinstance(value, str) else list(value)

        def one(name: str) -> str:
            value = data.get(name, "")
            return value if isinstance(value, str) else (value[0] if value else "")

        floors, rates = many("band_floor"), many("band_rate")
        try:
            if len(floors) != len(rates):
                raise InvalidInput("each band has a number of users and a rate")
            card = RateCardForm(one("currency"), floors, rates,
                                {key: (one(f"{key}_addon"), one(f"{key}_split") or "user_days") for key in ADDONS}
                                ).parse()
            now = dt.datetime.now(dt.UTC)
            with unit_of_work(web.engine, scope) as uow:
                save_rate_card(uow, card, effective_from=_starting(one("applies_from"), now), now=now)
        except InvalidInput as exc:
            return self._msp(request, web, operator, msp_id, error=str(exc), status_code=HTTP_400_BAD_REQUEST)
        except Forbidden:
            raise PermissionDeniedException(_OPERATORS_ONLY) from None
        return Redirect(f"/operator/msps/{msp_id}?saved=1", status_code=303)


class OperatorApiController(Controller):
    path = "/api/v1/operator"
    tags = ["operator"]
    dependencies = {"operator": Provide(_api_operator, sync_to_thread=True)}

    @get("/msps", operation_id="listMsps", summary="Every MSP, with its state (operator)",
         raises=[PermissionDeniedException], sync_to_thread=True)
    def list_msps(self, web: NamedDependency[WebRuntime], operator: NamedDependency[Operator]) -> dict[str, Any]:
        try:
            listing = operator_msps(web.engine, operator.user_id, operator.email)
        except Forbidden:
            raise PermissionDeniedException(_OPERATORS_ONLY) from None
        return {"msps": [{"id": str(m.id), "name": m.name, "customers": m.customers,
                          "created_at": m.created_at.isoformat(),
                          "suspended_at": m.suspended_at.isoformat() if m.suspended_at else None} for m in listing]}

    @get("/msps/{msp_id:uuid}", operation_id="getMsp", summary="One MSP: customers, holds, notes, invoice references",
         raises=[NotFoundException, PermissionDeniedException], sync_to_thread=True)
    def msp_detail(self, msp_id: FromPath[uuid.UUID], web: NamedDependency[WebRuntime],
                   operator: NamedDependency[Operator]) -> dict[str, Any]:
        return _msp_detail(web, operator, msp_id)

    @post("/msps/{msp_id:uuid}/suspension", operation_id="suspendMsp", status_code=200,
          summary="Suspend or reactivate an MSP (operator, read-write token)",
          raises=[NotFoundException, PermissionDeniedException], sync_to_thread=True)
    def suspend(self, msp_id: FromPath[uuid.UUID], data: Annotated[SuspensionIn, Body()],
                web: NamedDependency[WebRuntime], operator: NamedDependency[Operator]) -> dict[str, Any]:
        return _operator_api_write(web, operator, msp_id, lambda uow: suspend_msp(uow, suspended=data.suspended))

    @post("/msps/{msp_id:uuid}/customers/{customer_id:uuid}/suspension", operation_id="suspendCustomer",
          status_code=200, summary="Suspend or reactivate one customer of an MSP (operator, read-write token)",
          raises=[NotFoundException, PermissionDeniedException], sync_to_thread=True)
    def hold(self, msp_id: FromPath[uuid.UUID], customer_id: FromPath[uuid.UUID],
             data: Annotated[SuspensionIn, Body()], web: NamedDependency[WebRuntime],
             operator: NamedDependency[Operator]) -> dict[str, Any]:
        def act(uow: UnitOfWork) -> None:
            if not suspend_customer(uow, customer_id, suspended=data.suspended) and not _has_customer(uow, customer_id):
                raise NotFound(f"customer {customer_id} not found")
        return _operator_api_write(web, operator, msp_id, act)

    @post("/msps/{msp_id:uuid}/notes", operation_id="setInternalNote", status_code=200,
          summary="Set the internal note on an MSP or one of its customers (operator only; blank removes it)",
          raises=[NotFoundException, PermissionDeniedException], sync_to_thread=True)
    def set_note(self, msp_id: FromPath[uuid.UUID], data: Annotated[NoteIn, Body()],
                 web: NamedDependency[WebRuntime], operator: NamedDependency[Operator]) -> dict[str, Any]:
        return _operator_api_write(web, operator, msp_id,
                                   lambda uow: set_operator_note(uow, data.customer_id, data.note))

    @post("/msps/{msp_id:uuid}/invoices/{invoice_id:uuid}/reference", operation_id="setInvoiceReference",
          status_code=200, summary="Set the operator's reference on a closed invoice (blank removes it)",
          raises=[NotFoundException, PermissionDeniedException], sync_to_thread=True)
    def set_reference(self, msp_id: FromPath[uuid.UUID], invoice_id: FromPath[uuid.UUID],
                      data: Annotated[ReferenceIn, Body()], web: NamedDependency[WebRuntime],
                      operator: NamedDependency[Operator]) -> dict[str, Any]:
        return _operator_api_write(web, operator, msp_id,
                                   lambda uow: set_invoice_reference(uow, invoice_id, data.reference, data.note))

    @get("/msps/{msp_id:uuid}/rate-card", operation_id="getRateCard", summary="An MSP's rate card (operator)",
         raises=[NotFoundException, PermissionDeniedException], sync_to_thread=True)
    def get_card(self, msp_id: FromPath[uuid.UUID], web: NamedDependency[WebRuntime],
                 operator: NamedDependency[Operator]) -> RateCardOut:
        scope, msp = _scope(web, operator, msp_id)
        with unit_of_work(web.engine, scope) as uow:
            return _card_out(msp, rate_card(uow))

    @post("/msps/{msp_id:uuid}/rate-card", operation_id="setRateCard", status_code=200,
          summary="Set an MSP's rate card (operator, read-write token)",
          description="Bands start at 0 users; rates are per managed user per month, as decimal strings. The card "
                      "prices the running period from now on; closed invoices keep theirs.",
          raises=[NotFoundException, PermissionDeniedException], sync_to_thread=True)
    def set_card(self, msp_id: FromPath[uuid.UUID], data: Annotated[RateCardIn, Body()],
                 web: NamedDependency[WebRuntime], operator: NamedDependency[Operator]) -> RateCardOut:
        if not operator.read_write:
            raise PermissionDeniedException("writes through the API take a read-write token")
        scope, msp = _scope(web, operator, msp_id)
        try:
            card = RateCardForm(data.currency, [str(b.from_users) for b in data.bands], [b.rate for b in data.bands],
                                {a.key: (a.monthly, a.split) for a in data.addons}).parse()
            unknown = {a.key for a in data.addons} - set(ADDONS)
            if unknown:
                raise InvalidInput(f"the add-ons are {', '.join(ADDONS)}")
            now = dt.datetime.now(dt.UTC)
            with unit_of_work(web.engine, scope) as uow:
                saved = save_rate_card(uow, card, now=now, effective_from=data.effective_from
                                       or _starting("next_month", now))
        except InvalidInput as exc:
            raise ClientException(str(exc)) from None
        except Forbidden:
            raise PermissionDeniedException(_OPERATORS_ONLY) from None
        return _card_out(msp, saved)


class SuspensionIn(msgspec.Struct):
    suspended: bool


class NoteIn(msgspec.Struct):
    note: str
    customer_id: uuid.UUID | None = None  # None: the note on the MSP itself


class ReferenceIn(msgspec.Struct):
    reference: str
    note: str = ""


def _operator_api_write(web: WebRuntime, operator: Operator, msp_id: uuid.UUID,
                        action: Callable[[UnitOfWork], object]) -> dict[str, Any]:
    if not operator.read_write:
        raise PermissionDeniedException("writes through the API take a read-write token")
    scope, _ = _scope(web, operator, msp_id)
    try:
        with unit_of_work(web.engine, scope) as uow:
            action(uow)
    except InvalidInput as exc:
        raise ClientException(str(exc)) from None
    except NotFound:
        raise NotFoundException("no such customer or invoice of this MSP") from None
    except Forbidden:
        raise PermissionDeniedException(_OPERATORS_ONLY) from None
    return _msp_detail(web, operator, msp_id)


def _msp_detail(web: WebRuntime, operator: Operator, msp_id: uuid.UUID) -> dict[str, Any]:
    scope, msp = _scope(web, operator, msp_id)
    with unit_of_work(web.engine, scope) as uow:
        customers = seats_view(uow, include_removed=True).rows
        notes = operator_notes(uow)
        references = invoice_references(uow)
        closed = closed_invoices(uow)
    note = notes.get(None)
    return {
        "id": str(msp.id), "name": msp.name, "customers_count": msp.customers,
        "suspended_at": msp.suspended_at.isoformat() if msp.suspended_at else None,
        "internal_note": note.note if note else None,
        "customers": [{"id": str(c.customer_id), "name": c.name, "managed_users": c.managed_users,
                       "suspended": c.suspended, "held_by_operator": c.held,
                       "removed_at": c.removed_at.isoformat() if c.removed_at else None,
                       "internal_note": notes[c.customer_id].note if c.customer_id in notes else None}
                      for c in customers],
        "invoices": [{"id": str(i.id), "period_start": i.period_start.isoformat(), "total": str(i.total),
                      "currency": i.currency,
                      "reference": references[i.id].reference if i.id in references else None,
                      "reference_note": references[i.id].note if i.id in references else None} for i in closed],
    }


def _card_out(msp: MspListing, card: RateCard) -> RateCardOut:
    return RateCardOut(msp={"id": str(msp.id), "name": msp.name}, currency=card.currency,
                       bands=[BandIO(from_users=b.floor, rate=rate_text(b.rate)) for b in card.bands],
                       addons=[AddOnIO(key=a.key, monthly=str(a.monthly), split=a.split) for a in card.addons])

