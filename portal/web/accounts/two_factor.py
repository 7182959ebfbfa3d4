"""The second-factor page: set one up (key, then a code, then the recovery codes shown once), and
for MSP admins the switch that requires one of every MSP staff member."""

from __future__ import annotations

from typing import Annotated

import msgspec
import segno
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_403_FORBIDDEN

from portal.services.accounts import (
    Action,
    begin_totp,
    confirm_totp,
    may,
    require_second_factor_for_staff,
    second_factor_required_for_staff,
    totp_enabled,
)
from portal.services.errors import Forbidden, InvalidInput
from portal.web.accounts.schemas import CodeForm
from portal.web.callers import ENROLLING_CALLER, Caller, caller_unit_of_work
from portal.web.runtime import WebRuntime

__all__ = ["TwoFactorController"]

_FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


class RequirementForm(msgspec.Struct):
    required: str = ""


class TwoFactorController(Controller):
    path = "/account/two-factor"
    include_in_schema = False
    dependencies = ENROLLING_CALLER  # these pages are where a required second factor gets set up

    @get("/", sync_to_thread=True)
    def page(self, request: Request, web: NamedDependency[WebRuntime],
                caller: NamedDependency[Caller]) -> Template | Redirect:
        notice = ("Your MSP requires a second factor: set one up to continue."
                  if request.query_params.get("required") else None)
        return self._render(request, web, caller, notice=notice)

    @post("/begin", sync_to_thread=True)
    def begin(self, request: Request, web: NamedDependency[WebRuntime],
                caller: NamedDependency[Caller]) -> Template | Redirect:
        with caller_unit_of_work(web, caller, request) as uow:
            secret, uri = begin_totp(uow, web.engine, email=caller.email)
        # An inline SVG (no image route, nothing for the browser to fetch): segno escapes nothing of
        # ours into it, it draws the URI's bits.
        qr_svg = segno.make(uri, error="m").svg_inline(scale=4, title="Authenticator set-up code")
        return self._render(request, web, caller, secret=secret, uri=uri, qr_svg=qr_svg)

    @post("/confirm", sync_to_thread=True)
    def confirm(self, request: Request, data: Annotated[CodeForm, _FORM],
                web: NamedDependency[WebRuntime],
                caller: NamedDependency[Caller]) -> Template | Redirect:
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                codes = confirm_totp(uow, web.engine, data.code)
        except InvalidInput as exc:
            return self._render(request, web, caller, error=str(exc), status_code=HTTP_400_BAD_REQUEST)
        return self._render(request, web, caller, recovery_codes=codes)

    @post("/requirement", sync_to_thread=True)
    def requirement(self, request: Request, data: Annotated[RequirementForm, _FORM],
                    web: NamedDependency[WebRuntime],
                caller: NamedDependency[Caller]) -> Template | Redirect:
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                require_second_factor_for_staff(uow, caller.membership, data.required == "on")
        except Forbidden as exc:
            return self._render(request, web, caller, error=str(exc), status_code=HTTP_403_FORBIDDEN)
        return Redirect("/account/two-factor", status_code=303)

    def _render(self, request: Request, web: WebRuntime, caller: Caller, *, status_code: int = 200,
                **context: object) -> Template:
        with caller_unit_of_work(web, caller, request) as uow:
            enabled = totp_enabled(uow)
            is_admin = may(caller.membership, Action.MANAGE_TEAM)
            required = second_factor_required_for_staff(uow) if is_admin else None
        return Template("accounts/two_factor.html", status_code=status_code, context={
            "user": caller, "enabled": enabled, "is_admin": is_admin, "required": required, "secret": None,
            "uri": None, "qr_svg": None, "recovery_codes": None, "error": None, "notice": None, **context})

