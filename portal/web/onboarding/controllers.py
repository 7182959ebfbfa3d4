"""Adding a customer and connecting its tenant.

- ``GET /customers/new``, ``POST /customers/new``: an MSP admin adds a customer (name, optional domain).
- ``POST /customers/{id}/consent-link``: a new admin-consent link to copy, or to mail to the tenant's
  Global Administrator (MSP admins; staff at the Manage tier, to reconnect).
- ``GET /onboarding/callback``: where Microsoft sends the administrator back. Public (the customer's
  administrator has no account here): the single-use state is the only key, and the page says only
  what its holder may know.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_503_SERVICE_UNAVAILABLE

from portal.services.accounts import Action, may
from portal.services.errors import Forbidden, InvalidInput, NotFound
from portal.services.mail import compose
from portal.services.onboarding import add_customer, complete_consent, consent_link, record_break_glass
from portal.web.callers import PAGE_CALLER, Caller, audit_as, caller_unit_of_work
from portal.web.customers.pages import render_customer_page
from portal.web.runtime import WebRuntime

__all__ = ["ConsentCallbackController", "OnboardingController"]

_FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
_NOT_CONFIGURED = ("This portal has no app registration configured (POSTURE_CLIENT_ID and a certificate or secret), "
                   "so it cannot connect tenants.")


class NewCustomerForm(msgspec.Struct):
    name: str = ""
    domain: str = ""
    tags: str = ""


class ConsentLinkForm(msgspec.Struct):
    email: str = ""


class BreakGlassForm(msgspec.Struct):
    ids: str = ""


class OnboardingController(Controller):
    path = "/customers"
    include_in_schema = False
    dependencies = PAGE_CALLER

    @get("/new", sync_to_thread=False)
    def new_page(self, caller: NamedDependency[Caller]) -> Template:
        if not may(caller.membership, Action.MANAGE_CUSTOMERS):
            raise PermissionDeniedException("only MSP admins add customers")
        return Template("onboarding/new.html", context={"user": caller, "error": None, "name": "", "domain": "",
                                                                "tags": ""})

    @post("/new", sync_to_thread=True)
    def add(self, request: Request, data: Annotated[NewCustomerForm, _FORM], web: NamedDependency[WebRuntime],
            caller: NamedDependency[Caller]) -> Template | Redirect:
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                customer_id = add_customer(uow, caller.membership, name=data.name, domain=data.domain,
                                           tags=data.tags)
        except Forbidden as exc:
            raise PermissionDeniedException(str(exc)) from None
        except InvalidInput as exc:
            return Template("onboarding/new.html", status_code=HTTP_400_BAD_REQUEST, context={
                "user": caller, "error": str(exc), "name": data.name, "domain": data.domain, "tags": data.tags})
        return Redirect(f"/customers/{customer_id}?added=1", status_code=303)

    @post("/{customer_id:uuid}/consent-link", sync_to_thread=True)
    def link(self, request: Request, customer_id: FromPath[uuid.UUID], data: Annotated[ConsentLinkForm, _FORM],
             web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> Template | Redirect:
        if web.consent is None:
            return Template("onboarding/result.html", status_code=HTTP_503_SERVICE_UNAVAILABLE,
                            context={"kind": "refused", "message": _NOT_CONFIGURED, "customer_name": None})
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                made = consent_link(uow, web.engine, caller.membership, customer_id, web.consent)
        except NotFound:
            raise NotFoundException("no such customer, or not one you can see") from None
        except Forbidden as exc:
            raise PermissionDeniedException(str(exc)) from None
        to = data.email.strip()
        if to and web.mailer is not None and "@" in to and len(to) <= 320:
            web.mailer.send(compose(to=to, subject="Please connect your Microsoft 365 tenant", text=(
                f"{caller.display_name} asks you, as your organisation's Global Administrator, to grant read-only "
                f"access to your Microsoft 365 security settings.\n\nOpen this link, sign in with your "
                f"administrator account, review the permissions and accept:\n\n{made}\n\nThe link works once and "
                "for 72 hours.\n")))
            audit_as(web, caller, "consent.link_mailed", f"customer:{customer_id}", {"to": to})
        return render_customer_page(request, web, caller, customer_id, consent_link=made,
                                    mailed_to=to if to and web.mailer is not None else None)

    @post("/{customer_id:uuid}/break-glass", sync_to_thread=True)
    def break_glass(self, request: Request, customer_id: FromPath[uuid.UUID], data: Annotated[BreakGlassForm, _FORM],
                    web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> Template | Redirect:
        """Record the tenant's break-glass accounts; the next scan judges exclusions against them."""
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                record_break_glass(uow, caller.membership, customer_id, data.ids)
        except NotFound:
            raise NotFoundException("no such customer, or not one you can see") from None
        except Forbidden as exc:
            raise PermissionDeniedException(str(exc)) from None
        except InvalidInput as exc:
            return render_customer_page(request, web, caller, customer_id, status_code=HTTP_400_BAD_REQUEST,
                                        break_glass_error=str(exc), break_glass_typed=data.ids)
        return Redirect(f"/customers/{customer_id}?break_glass=1", status_code=303)


class ConsentCallbackController(Controller):
    path = "/onboarding"
    include_in_schema = False

    @get("/callback", sync_to_thread=True)
    def callback(self, request: Request, web: NamedDependency[WebRuntime]) -> Template:
        if web.consent is None or web.scanner_env is None or web.scan_queue is None:
            return Template("onboarding/result.html", status_code=HTTP_503_SERVICE_UNAVAILABLE,
                            context={"kind": "refused", "message": _NOT_CONFIGURED, "customer_name": None})
        params = {k: v for k, v in request.query_params.items() if isinstance(v, str)}
        result = complete_consent(web.engine, params, env=web.scanner_env, app=web.consent, queue=web.scan_queue)
        return Template("onboarding/result.html", status_code=HTTP_400_BAD_REQUEST if result.kind == "refused" else 200,
                        context={"kind": result.kind, "message": result.message, "customer_name": result.customer_name,
                                 "missing": result.missing, "retry_url": str(request.url)})
