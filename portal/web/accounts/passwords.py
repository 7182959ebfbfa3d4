"""Forgotten and changed passwords: ask for a link, choose a new password with it, or change it signed in."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_429_TOO_MANY_REQUESTS, HTTP_503_SERVICE_UNAVAILABLE

from portal.services.accounts import (
    MIN_PASSWORD_LENGTH,
    SecondFactorRequired,
    SignInThrottled,
    change_password,
    complete_password_reset,
    request_password_reset,
    sign_in,
)
from portal.services.errors import InvalidInput
from portal.web.callers import ENROLLING_CALLER, Caller, caller_unit_of_work
from portal.web.cookies import set_session_cookie
from portal.web.runtime import WebRuntime

__all__ = ["PasswordsController"]

_FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
_SENT = "If an account exists for that address, a link to choose a new password is on its way. It works for an hour."


class ResetRequestForm(msgspec.Struct):
    email: str = ""


class NewPasswordForm(msgspec.Struct):
    password: str = ""
    confirm: str = ""


class ChangePasswordForm(msgspec.Struct):
    current: str = ""
    password: str = ""
    confirm: str = ""


def _page(name: str, status_code: int = 200, **context: object) -> Template:
    return Template(f"accounts/{name}.html", status_code=status_code,
                    context={"min_length": MIN_PASSWORD_LENGTH, "error": None, "notice": None, **context})


class PasswordsController(Controller):
    include_in_schema = False

    @get("/password-reset", sync_to_thread=False)
    def ask(self) -> Template:
        return _page("reset_request")

    @post("/password-reset", sync_to_thread=True)
    def send_link(self, request: Request, data: Annotated[ResetRequestForm, _FORM],
                  web: NamedDependency[WebRuntime]) -> Template:
        address = request.client.host if request.client else "unknown"
        try:
            request_password_reset(web.engine, data.email, address=address, mailer=web.mailer,
                                   link_base=web.public_url)
        except SignInThrottled as exc:
            return _page("reset_request", HTTP_429_TOO_MANY_REQUESTS, error=str(exc))
        except RuntimeError as exc:  # no mail relay configured
            return _page("reset_request", HTTP_503_SERVICE_UNAVAILABLE, error=str(exc))
        return _page("reset_request", notice=_SENT)

    @get("/password-reset/{token:str}", sync_to_thread=False)
    def choose(self, token: FromPath[str]) -> Template:
        return _page("reset_choose", token=token)

    @post("/password-reset/{token:str}", sync_to_thread=True)
    def set_new(self, token: FromPath[str], data: Annotated[NewPasswordForm, _FORM],
                web: NamedDependency[WebRuntime]) -> Template | Redirect:
        if data.password != data.confirm:
            return _page("reset_choose", HTTP_400_BAD_REQUEST, token=token, error="The two passwords differ.")
        try:
            done = complete_password_reset(web.engine, token, data.password)
        except InvalidInput as exc:
            return _page("reset_choose", HTTP_400_BAD_REQUEST, token=token, error=str(exc))
        if not done:
            return _page("reset_choose", HTTP_400_BAD_REQUEST, token=None,
                         error="This link is used, expired or unknown: ask for a new one.")
        return Redirect("/sign-in?reset=done", status_code=303)

    # Open before a required second factor is set up: changing a password is never held back.
    @get("/account/password", sync_to_thread=False, dependencies=ENROLLING_CALLER)
    def change_page(self, caller: NamedDependency[Caller]) -> Template:
        return _page("change_password", user=caller)

    @post("/account/password", sync_to_thread=True, dependencies=ENROLLING_CALLER)
    def change(self, request: Request, data: Annotated[ChangePasswordForm, _FORM],
               web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> Template | Redirect:
        if data.password != data.confirm:
            return _page("change_password", HTTP_400_BAD_REQUEST, user=caller, error="The two new passwords differ.")
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                change_password(uow, web.engine, email=caller.email, current=data.current, new=data.password)
        except InvalidInput as exc:
            return _page("change_password", HTTP_400_BAD_REQUEST, user=caller, error=str(exc))
        # Every session ended with the change, this one too: sign this browser in again, afresh.
        try:
            token, _ = sign_in(web.engine, caller.email, data.password,
                               address=request.client.host if request.client else "unknown")
        except (SignInThrottled, SecondFactorRequired):
            return Redirect("/sign-in", status_code=303)  # the password is changed; signing in asks for the rest
        redirect = Redirect("/", status_code=303)
        set_session_cookie(redirect, token, web.tls)
        return redirect
