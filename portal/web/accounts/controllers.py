"""Sign-in, sign-out, the home page and the organisation switcher.

Thin handlers: parse the form, call one service (``portal.services.accounts``), answer with a page
or a redirect. A failed sign-in says the same thing whether the email or the password was wrong;
a throttled one answers 429 with ``Retry-After``. Every form carries its CSRF token (Litestar's
CSRF middleware refuses a POST without it).
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_429_TOO_MANY_REQUESTS

from portal.services.accounts import (
    InvalidCredentials,
    SecondFactorRequired,
    SignInThrottled,
    complete_second_factor,
    current_session,
    sign_in,
    sign_out,
    staff_needs_second_factor,
)
from portal.services.errors import InvalidInput
from portal.web.accounts.schemas import OrganisationChoice, SecondFactorForm, SignInForm
from portal.web.callers import resolve_caller
from portal.web.cookies import (
    ORGANISATION_COOKIE,
    SECOND_FACTOR_COOKIE,
    clear_session_cookie,
    session_token,
    set_session_cookie,
)
from portal.web.runtime import WebRuntime

__all__ = ["AccountsController"]

_FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class AccountsController(Controller):
    include_in_schema = False  # pages, not API

    @get("/", sync_to_thread=True)
    def home(self, request: Request, web: NamedDependency[WebRuntime]) -> Template | Redirect:
        caller = resolve_caller(request, web) if not request.headers.get("authorization") else None
        if caller is None:
            session = current_session(web.engine, session_token(request, web.tls))
            if session is None:
                return Redirect("/sign-in", status_code=303)
            if session.is_platform_operator:
                return Redirect("/operator", status_code=303)  # an operator needs no organisation
            return Template("accounts/home.html", context={"session": session})
        if staff_needs_second_factor(web.engine, session_token(request, web.tls)):
            return Redirect("/account/two-factor?required=1", status_code=303)
        if caller.membership.is_msp_staff:
            return Redirect("/fleet", status_code=303)
        return Redirect(f"/customers/{caller.membership.customer_id}", status_code=303)  # their one tenant

    @get("/sign-in", sync_to_thread=False)
    def sign_in_page(self, request: Request) -> Template:
        notice = "Your new password is set: sign in with it." if request.query_params.get("reset") == "done" else None
        return Template("accounts/sign_in.html", context={"error": None, "email": "", "notice": notice})

    @post("/sign-in", sync_to_thread=True)
    def sign_in(self, request: Request, data: Annotated[SignInForm, _FORM],
                web: NamedDependency[WebRuntime]) -> Response:
        try:
            # Always a new token: one the browser brought before signing in is never the signed-in one.
            token, _ = sign_in(web.engine, data.email, data.password, address=_client_address(request))
        except SecondFactorRequired as exc:
            second = Redirect("/sign-in/second-factor", status_code=303)
            second.set_cookie(SECOND_FACTOR_COOKIE, exc.ticket, max_age=300, path="/sign-in", secure=web.tls,
                              httponly=True, samesite="lax")
            return second
        except SignInThrottled as exc:
            page = Template("accounts/sign_in.html", context={"error": str(exc), "email": data.email},
                            status_code=HTTP_429_TOO_MANY_REQUESTS, headers={"Retry-After": str(exc.wait_s)})
            return page  # type: ignore[return-value]
        except InvalidCredentials:
            page = Template("accounts/sign_in.html",
                            context={"error": "That email and password do not match an account.", "email": data.email},
                            status_code=HTTP_400_BAD_REQUEST)
            return page  # type: ignore[return-value]
        redirect = Redirect("/", status_code=303)
        sign_out(web.engine, session_token(request, web.tls))  # a session the browser still held ends too
        set_session_cookie(redirect, token, web.tls)
        redirect.delete_cookie(ORGANISATION_COOKIE, path="/")
        return redirect

    @get("/sign-in/second-factor", sync_to_thread=False)
    def second_factor_page(self, request: Request) -> Template | Redirect:
        if not request.cookies.get(SECOND_FACTOR_COOKIE):
            return Redirect("/sign-in", status_code=303)
        return Template("accounts/second_factor.html", context={"error": None})

    @post("/sign-in/second-factor", sync_to_thread=True)
    def second_factor(self, request: Request, data: Annotated[SecondFactorForm, _FORM],
                      web: NamedDependency[WebRuntime]) -> Response:
        ticket = request.cookies.get(SECOND_FACTOR_COOKIE) or ""
        try:
            token, _ = complete_second_factor(web.engine, ticket, data.code, address=_client_address(request))
        except SignInThrottled as exc:
            return Template("accounts/second_factor.html", context={"error": str(exc)},  # type: ignore[return-value]
                            status_code=HTTP_429_TOO_MANY_REQUESTS, headers={"Retry-After": str(exc.wait_s)})
        except InvalidInput as exc:
            return Template("accounts/second_factor.html", context={"error": str(exc)},  # type: ignore[return-value]
                            status_code=HTTP_400_BAD_REQUEST)
        redirect = Redirect("/", status_code=303)
        set_session_cookie(redirect, token, web.tls)
        redirect.delete_cookie(SECOND_FACTOR_COOKIE, path="/sign-in")
        return redirect

    @post("/sign-out", sync_to_thread=True)
    def sign_out(self, request: Request, web: NamedDependency[WebRuntime]) -> Redirect:
        sign_out(web.engine, session_token(request, web.tls))
        redirect = Redirect("/sign-in", status_code=303)
        clear_session_cookie(redirect, web.tls)
        return redirect

    @post("/organisation", sync_to_thread=True)
    def choose_organisation(self, request: Request, data: Annotated[OrganisationChoice, _FORM],
                            web: NamedDependency[WebRuntime]) -> Redirect:
        session = current_session(web.engine, session_token(request, web.tls))
        if session is None:
            return Redirect("/sign-in", status_code=303)
        redirect = Redirect("/", status_code=303)
        if any(o.key == data.organisation for o in session.organisations):
            redirect.set_cookie(ORGANISATION_COOKIE, data.organisation, path="/", secure=web.tls, httponly=True,
                                samesite="lax")
        return redirect
