"""Accepting a failing finding as a risk, and ending an acceptance, from the finding's page.

Who may: the customer's admins, and MSP staff at the Operate tier or above (``Action.ACCEPT_RISK``);
the database checks it again (migration 0015), so no other path can write one. After the change the
portal asks a worker to rescore the customer (the web role writes no scores).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated
from urllib.parse import quote

import msgspec
from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST

from portal.services.accounts import Action, may
from portal.services.errors import InvalidInput, NotFound
from portal.services.risks import accept_risk, revoke_risk
from portal.web.callers import PAGE_CALLER, Caller, caller_unit_of_work
from portal.web.customers.pages import customer_header, render_finding_page
from portal.web.runtime import WebRuntime

__all__ = ["AcceptRiskForm", "RisksController"]

_FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


class AcceptRiskForm(msgspec.Struct):
    reason: str = ""
    expires_on: str = ""  # YYYY-MM-DD


def _finding_path(customer_id: uuid.UUID, check_id: str) -> str:
    return f"/customers/{customer_id}/findings/{quote(check_id, safe='')}"


class RisksController(Controller):
    path = "/customers"
    include_in_schema = False
    dependencies = PAGE_CALLER

    def _authorise(self, request: Request, web: WebRuntime, caller: Caller, customer_id: uuid.UUID) -> None:
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                header = customer_header(uow, customer_id)
        except NotFound:
            raise NotFoundException("no such customer, or not one you can see") from None
        if not may(caller.membership, Action.ACCEPT_RISK, header.access):
            raise PermissionDeniedException("your role, or the MSP's access tier for this customer, does not allow "
                                            "accepting risks")

    def _rescore(self, web: WebRuntime, caller: Caller, customer_id: uuid.UUID) -> None:
        if web.rescore_queue is not None:
            web.rescore_queue(msp_id=caller.membership.msp_id, customer_id=customer_id)

    @post("/{customer_id:uuid}/findings/{check_id:str}/acceptance", sync_to_thread=True)
    def accept(self, request: Request, customer_id: FromPath[uuid.UUID], check_id: FromPath[str],
               data: Annotated[AcceptRiskForm, _FORM], web: NamedDependency[WebRuntime],
               caller: NamedDependency[Caller]) -> Redirect | Template:
        self._authorise(request, web, caller, customer_id)
        now = dt.datetime.now(dt.UTC)
        try:
            try:
                expires_on = dt.date.fromisoformat(data.expires_on.strip())
            except ValueError:
                raise InvalidInput("give the date the acceptance ends (YYYY-MM-DD)") from None
            with caller_unit_of_work(web, caller, request) as uow:
                accept_risk(uow, customer_id, check_id, reason=data.reason, expires_on=expires_on, now=now)
        except NotFound:
            raise NotFoundException("no such failing finding, or not one you can see") from None
        except InvalidInput as exc:
            return render_finding_page(request, web, caller, customer_id, check_id, status_code=HTTP_400_BAD_REQUEST,
                                       risk_error=str(exc), typed={"reason": data.reason[:2000],
                                                                   "expires_on": data.expires_on[:20]})
        self._rescore(web, caller, customer_id)
        return Redirect(f"{_finding_path(customer_id, check_id)}?risk=accepted", status_code=303)

    @post("/{customer_id:uuid}/findings/{check_id:str}/acceptance/revoke", sync_to_thread=True)
    def revoke(self, request: Request, customer_id: FromPath[uuid.UUID], check_id: FromPath[str],
               web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> Redirect:
        self._authorise(request, web, caller, customer_id)
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                revoke_risk(uow, customer_id, check_id)
        except NotFound:
            raise NotFoundException("no standing acceptance of this finding, or not one you can see") from None
        self._rescore(web, caller, customer_id)
        return Redirect(f"{_finding_path(customer_id, check_id)}?risk=revoked", status_code=303)
