"""Manage tenant: a shared tenant's domains and groups, assigned to its billing customers.

- ``GET /customers/{id}/tenant``: the verified domains and groups of the tenant (its latest full scan's),
  searchable by name or id and filtered by kind, each with its status (whose it is, or gone from the
  tenant since it was chosen) and the directory's last refresh; what is already another billing
  customer's links to that customer.
- ``POST .../tenant/review``: the choice (at least one selection, one billing customer, existing or new)
  shown back before anything changes; ``POST .../tenant/selections`` makes it;
  ``POST .../tenant/selections/{id}/remove`` gives one back to the host.
- ``/api/v1/customers/{id}/tenant``: the same, for PSA tooling (writes take a read-write token).

MSP admins only (``Action.MANAGE_BILLING``); the database checks again that the selection's billing
customer shares that very tenant (migration 0026). Managed users are counted per billing customer from
the next scan on: the page says so.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import ClientException, NotFoundException, PermissionDeniedException
from litestar.params import Body, FromPath, QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_409_CONFLICT

from portal.services.accounts import Action, may
from portal.services.billing import (
    DIRECTORY_KINDS,
    TenantView,
    add_selections,
    remove_selection,
    review_selections,
    tenant_view,
)
from portal.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.web.callers import API_CALLER, PAGE_CALLER, Caller, caller_unit_of_work
from portal.web.runtime import WebRuntime

__all__ = ["TenantApiController", "TenantController"]

_FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
_NOT_FOUND = "no such customer, or not one you can see"
_ADMINS_ONLY = "only the MSP's admins split a tenant between billing customers"
_NEW = "new"


def _require(caller: Caller) -> None:
    if not may(caller.membership, Action.MANAGE_BILLING):
        raise PermissionDeniedException(_ADMINS_ONLY)


def _field(data: dict[str, Any], name: str) -> str:
    value = data.get(name, "")
    return value if isinstance(value, str) else (value[0] if value else "")


def _picks(data: dict[str, Any]) -> list[str]:
    value = data.get("pick", [])
    return [value] if isinstance(value, str) else list(value)


def _target(data: dict[str, Any]) -> tuple[uuid.UUID | None, str]:
    """The billing customer chosen: an existing one's id, or a new one's name."""
    chosen = _field(data, "billing_customer")
    if chosen in ("", _NEW):
        return None, _field(data, "new_name")
    try:
        return uuid.UUID(chosen), ""
    except ValueError:
        raise InvalidInput("choose one billing customer: one of this tenant's, or a new one by name") from None


class TenantController(Controller):
    path = "/customers"
    include_in_schema = False
    dependencies = PAGE_CALLER

    def _page(self, request: Request, web: WebRuntime, caller: Caller, customer_id: uuid.UUID, *,
              error: str | None = None, status_code: int = 200, typed: dict[str, Any] | None = None) -> Template:
        q = request.query_params.get("q", "")[:200]
        kind = request.query_params.get("kind", "")
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                view = tenant_view(uow, customer_id, q=q, kind=kind)
        except NotFound:
            raise NotFoundException(_NOT_FOUND) from None
        except Conflict as exc:
            return Template("error.html", status_code=HTTP_409_CONFLICT,
                            context={"user": caller, "title": "No tenant to share", "detail": str(exc)})
        return Template("billing/tenant.html", status_code=status_code, context={
            "user": caller, "view": view, "q": q, "kind": kind, "kinds": DIRECTORY_KINDS, "error": error,
            "typed": typed or {}, "picked": set(_picks(typed or {})), "saved": request.query_params.get("saved")})

    @get("/{customer_id:uuid}/tenant", sync_to_thread=True)
    def page(self, request: Request, customer_id: FromPath[uuid.UUID], web: NamedDependency[WebRuntime],
             caller: NamedDependency[Caller]) -> Template:
        _require(caller)
        return self._page(request, web, caller, customer_id)

    @post("/{customer_id:uuid}/tenant/review", sync_to_thread=True)
    def review(self, request: Request, customer_id: FromPath[uuid.UUID],
               data: Annotated[dict[str, str | list[str]], _FORM], web: NamedDependency[WebRuntime],
               caller: NamedDependency[Caller]) -> Template:
        _require(caller)
        try:
            target, name = _target(data)
            with caller_unit_of_work(web, caller, request) as uow:
                chosen = review_selections(uow, customer_id, _picks(data), billing_customer_id=target, new_name=name)
                view = tenant_view(uow, customer_id)
        except NotFound:
            raise NotFoundException(_NOT_FOUND) from None
        except InvalidInput as exc:
            return self._page(request, web, caller, customer_id, error=str(exc), status_code=HTTP_400_BAD_REQUEST,
                              typed=data)
        except Conflict as exc:
            return self._page(request, web, caller, customer_id, error=str(exc), status_code=HTTP_409_CONFLICT,
                              typed=data)
        return Template("billing/tenant_review.html", context={
            "user": caller, "view": view, "review": chosen, "picks": _picks(data),
            "billing_customer": _field(data, "billing_customer") or _NEW, "new_name": name})

    @post("/{customer_id:uuid}/tenant/selections", sync_to_thread=True)
    def submit(self, request: Request, customer_id: FromPath[uuid.UUID],
               data: Annotated[dict[str, str | list[str]], _FORM], web: NamedDependency[WebRuntime],
               caller: NamedDependency[Caller]) -> Redirect | Template:
        _require(caller)
        try:
            target, name = _target(data)
            with caller_unit_of_work(web, caller, request) as uow:
                made = add_selections(uow, customer_id, _picks(data), billing_customer_id=target, new_name=name)
        except NotFound:
            raise NotFoundException(_NOT_FOUND) from None
        except Forbidden as exc:
            raise PermissionDeniedException(str(exc)) from None
        except InvalidInput as exc:
            return self._page(request, web, caller, customer_id, error=str(exc), status_code=HTTP_400_BAD_REQUEST,
                              typed=data)
        except Conflict as exc:
            return self._page(request, web, caller, customer_id, error=str(exc), status_code=HTTP_409_CONFLICT,
                              typed=data)
        return Redirect(f"/customers/{customer_id}/tenant?saved={made}", status_code=303)

    @post("/{customer_id:uuid}/tenant/selections/{selection_id:uuid}/remove", sync_to_thread=True)
    def remove(self, request: Request, customer_id: FromPath[uuid.UUID], selection_id: FromPath[uuid.UUID],
               web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> Redirect:
        _require(caller)
        with _api_errors(), caller_unit_of_work(web, caller, request) as uow:
            remove_selection(uow, customer_id, selection_id)
        return Redirect(f"/customers/{customer_id}/tenant", status_code=303)


class SelectionsIn(msgspec.Struct):
    """``selections``: ``domain:<name>`` or ``group:<id>``; the billing customer: an id, or a new name."""

    selections: list[str]
    billing_customer_id: uuid.UUID | None = None
    new_billing_customer: str = ""


@contextmanager
def _api_errors() -> Iterator[None]:
    """The services' refusals as the API answers them."""
    try:
        yield
    except NotFound:
        raise NotFoundException(_NOT_FOUND) from None
    except Forbidden as exc:
        raise PermissionDeniedException(str(exc)) from None
    except InvalidInput as exc:
        raise ClientException(str(exc)) from None
    except Conflict as exc:
        raise ClientException(str(exc), status_code=HTTP_409_CONFLICT) from None


def _view_out(view: TenantView) -> dict[str, Any]:
    return {
        "host": {"id": str(view.host_id), "name": view.host_name},
        "refreshed_at": view.refreshed_at.isoformat() if view.refreshed_at else None,
        "billing_customers": [{"id": str(c), "name": n} for c, n in view.billing_customers],
        "entries": [{"key": f"{e.kind}:{e.value}", "kind": e.kind, "value": e.value, "label": e.label,
                     "detail": e.detail, "present": e.present,
                     "billing_customer": None if e.selection is None else {
                         "id": str(e.selection.billing_customer_id), "name": e.selection.billing_customer_name},
                     "selection_id": None if e.selection is None else str(e.selection.id)} for e in view.entries],
    }


class TenantApiController(Controller):
    path = "/api/v1/customers"
    tags = ["billing"]
    dependencies = API_CALLER

    @get("/{customer_id:uuid}/tenant", operation_id="getSharedTenant",
         summary="A tenant's domains and groups, and which billing customer each belongs to",
         raises=[NotFoundException, PermissionDeniedException], sync_to_thread=True)
    def get_tenant(self, request: Request, customer_id: FromPath[uuid.UUID], web: NamedDependency[WebRuntime],
                   caller: NamedDependency[Caller],
                   q: Annotated[str, QueryParameter(description="Part of a name or id", max_length=200)] = "",
                   kind: Annotated[str, QueryParameter(description="domain, microsoft365, security, mail_security "
                                                                   "or distribution", max_length=40)] = "",
                   ) -> dict[str, Any]:
        _require(caller)
        with _api_errors(), caller_unit_of_work(web, caller, request) as uow:
            return _view_out(tenant_view(uow, customer_id, q=q, kind=kind))

    @post("/{customer_id:uuid}/tenant/selections", operation_id="assignTenantSelections", status_code=200,
          summary="Give domains or groups of a shared tenant to a billing customer (an existing one or a new one)",
          description="Counted per billing customer from the next scan on. MSP admins, read-write token.",
          raises=[NotFoundException, PermissionDeniedException], sync_to_thread=True)
    def assign(self, request: Request, customer_id: FromPath[uuid.UUID], data: Annotated[SelectionsIn, Body()],
               web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> dict[str, Any]:
        if caller.token_id is None or not caller.read_write:
            raise PermissionDeniedException("writes through the API take a read-write token")
        _require(caller)
        with _api_errors(), caller_unit_of_work(web, caller, request) as uow:
            add_selections(uow, customer_id, data.selections, billing_customer_id=data.billing_customer_id,
                           new_name=data.new_billing_customer)
            return _view_out(tenant_view(uow, customer_id))

    @delete("/{customer_id:uuid}/tenant/selections/{selection_id:uuid}", operation_id="removeTenantSelection",
            summary="Give a domain or group back to the tenant's own customer", status_code=204,
            raises=[NotFoundException, PermissionDeniedException], sync_to_thread=True)
    def unassign(self, request: Request, customer_id: FromPath[uuid.UUID], selection_id: FromPath[uuid.UUID],
                 web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> None:
        if caller.token_id is None or not caller.read_write:
            raise PermissionDeniedException("writes through the API take a read-write token")
        _require(caller)
        with _api_errors(), caller_unit_of_work(web, caller, request) as uow:
            remove_selection(uow, customer_id, selection_id)
