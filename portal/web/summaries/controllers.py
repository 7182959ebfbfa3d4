"""The email summary in the portal.

- ``/customers/{id}/summary``: cadence and recipients, the recipients as they stand (unsubscribed ones
  marked), a live preview of the next summary, "Send a test to me", and the delivery log with each
  message's SMTP outcome. For whoever may make the customer's reports (``Action.MANAGE_REPORTS``,
  checked again by the database, migration 0023).
- ``/unsubscribe/{token}``: no sign-in. A GET shows what the link stops and a button; a POST (the
  button, or a mail client's RFC 8058 one-click POST) stops it. A GET never unsubscribes: mail
  scanners follow links. The POST takes no CSRF token (it comes from a mail client, not our page):
  the signed token is the authority, and all it can do is stop that one address's summaries.

The preview is the email's own HTML (its styles are inline, as in a mail), served under its own
policy: ``sandbox`` (no script, a unique origin), nothing fetched but inline images, framed only by
the portal's summary page.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_404_NOT_FOUND, HTTP_409_CONFLICT

from portal.services.accounts import Action, may
from portal.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.services.summaries import (
    CADENCES,
    SEND_HOUR_UTC,
    delivery_log,
    preview_summary,
    recipients_of,
    save_summary_config,
    send_test,
    summary_config,
    unsubscribe,
    unsubscription_of,
)
from portal.web.callers import PAGE_CALLER, Caller, caller_unit_of_work
from portal.web.customers.pages import customer_header
from portal.web.runtime import WebRuntime

__all__ = ["PREVIEW_POLICY", "SummaryController", "UnsubscribeController"]

_FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
_NOT_FOUND = "no such customer, or not one you can see"
#: The preview's own policy: a sandboxed document (no script), inline styles and data: images only.
PREVIEW_POLICY = ("sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                  "frame-ancestors 'self'; form-action 'none'; base-uri 'none'")


class SummaryForm(msgspec.Struct):
    cadence: str = "off"
    include_customer_users: str = ""
    extra_recipients: str = ""


class SummaryController(Controller):
    """A customer's email summary."""

    path = "/customers"
    include_in_schema = False
    dependencies = PAGE_CALLER

    def _authorise(self, request: Request, web: WebRuntime, caller: Caller, customer_id: uuid.UUID):  # type: ignore[no-untyped-def]
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                header = customer_header(uow, customer_id)
        except NotFound:
            raise NotFoundException(_NOT_FOUND) from None
        if not may(caller.membership, Action.MANAGE_REPORTS, header.access):
            raise PermissionDeniedException("your role, or the MSP's access tier for this customer, does not allow "
                                            "setting its email summary")
        return header

    def _page(self, request: Request, web: WebRuntime, caller: Caller, customer_id: uuid.UUID, *,
              status_code: int = 200, error: str | None = None, typed: SummaryForm | None = None) -> Template:
        header = self._authorise(request, web, caller, customer_id)
        with caller_unit_of_work(web, caller, request) as uow:
            config = summary_config(uow, customer_id)
            recipients = recipients_of(uow, customer_id, config)
            log = delivery_log(uow, customer_id)
        return Template("summaries/page.html", status_code=status_code, context={
            "user": caller, "customer": header, "config": config, "recipients": recipients, "log": log,
            "cadences": CADENCES, "send_hour": SEND_HOUR_UTC, "error": error, "typed": typed,
            "saved": request.query_params.get("saved") == "1", "notice": request.query_params.get("test"),
            "mail_ready": web.mailer is not None or web.summary_queue is not None,
            "may_test": web.summary_queue is not None and web.report_queue is not None})

    @get("/{customer_id:uuid}/summary", sync_to_thread=True)
    def page(self, request: Request, customer_id: FromPath[uuid.UUID], web: NamedDependency[WebRuntime],
             caller: NamedDependency[Caller]) -> Template:
        return self._page(request, web, caller, customer_id)

    @post("/{customer_id:uuid}/summary", sync_to_thread=True)
    def save(self, request: Request, customer_id: FromPath[uuid.UUID], data: Annotated[SummaryForm, _FORM],
             web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> Redirect | Template:
        self._authorise(request, web, caller, customer_id)
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                save_summary_config(uow, customer_id, cadence=data.cadence,
                                    include_customer_users=bool(data.include_customer_users),
                                    extra_recipients=data.extra_recipients, now=dt.datetime.now(dt.UTC))
        except NotFound:
            raise NotFoundException(_NOT_FOUND) from None
        except Forbidden as exc:
            raise PermissionDeniedException(str(exc)) from None
        except InvalidInput as exc:
            return self._page(request, web, caller, customer_id, status_code=HTTP_400_BAD_REQUEST, error=str(exc),
                              typed=data)
        return Redirect(f"/customers/{customer_id}/summary?saved=1", status_code=303)

    @get("/{customer_id:uuid}/summary/log", sync_to_thread=True)
    def log(self, request: Request, customer_id: FromPath[uuid.UUID], web: NamedDependency[WebRuntime],
            caller: NamedDependency[Caller]) -> Template:
        """The delivery log as an htmx fragment, polled while a message is on its way."""
        self._authorise(request, web, caller, customer_id)
        with caller_unit_of_work(web, caller, request) as uow:
            lines = delivery_log(uow, customer_id)
        return Template("summaries/_log.html", context={"customer_id": customer_id, "log": lines})

    @get("/{customer_id:uuid}/summary/preview", sync_to_thread=True)
    def preview(self, request: Request, customer_id: FromPath[uuid.UUID], web: NamedDependency[WebRuntime],
                caller: NamedDependency[Caller]) -> Response[str]:
        self._authorise(request, web, caller, customer_id)
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                html = preview_summary(uow, customer_id, portal_url=web.public_url)
        except Conflict as exc:
            html = f"<!DOCTYPE html><p>{exc}.</p>".replace("<p>", "<p style='font-family: sans-serif'>")
        return Response(html, media_type="text/html", headers={
            "Content-Security-Policy": PREVIEW_POLICY, "X-Frame-Options": "SAMEORIGIN"})

    @post("/{customer_id:uuid}/summary/test", sync_to_thread=True)
    def test(self, request: Request, customer_id: FromPath[uuid.UUID], web: NamedDependency[WebRuntime],
             caller: NamedDependency[Caller]) -> Redirect | Template:
        self._authorise(request, web, caller, customer_id)
        if web.summary_queue is None or web.report_queue is None:
            return self._page(request, web, caller, customer_id, status_code=503,
                              error="this portal has no queue to send mail through: run posture serve with a broker")
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                send_test(uow, customer_id, to=caller.email, queue=web.summary_queue, reports=web.report_queue)
        except NotFound:
            raise NotFoundException(_NOT_FOUND) from None
        except Forbidden as exc:
            raise PermissionDeniedException(str(exc)) from None
        except (Conflict, InvalidInput) as exc:
            return self._page(request, web, caller, customer_id, error=str(exc), status_code=HTTP_409_CONFLICT
                              if isinstance(exc, Conflict) else HTTP_400_BAD_REQUEST)
        return Redirect(f"/customers/{customer_id}/summary?test=sent#log", status_code=303)


class UnsubscribeController(Controller):
    """``/unsubscribe/{token}``: the link in every summary, honoured without signing in."""

    path = "/unsubscribe"
    include_in_schema = False

    @get("/{token:str}", sync_to_thread=True)
    def confirm(self, token: FromPath[str], web: NamedDependency[WebRuntime]) -> Template:
        subject = unsubscription_of(web.engine, token)
        return Template("summaries/unsubscribe.html", status_code=200 if subject else HTTP_404_NOT_FOUND,
                        context={"subject": subject, "token": token, "done": False})

    @post("/{token:str}", sync_to_thread=True)
    def stop(self, token: FromPath[str], web: NamedDependency[WebRuntime]) -> Template:
        subject = unsubscribe(web.engine, token)
        return Template("summaries/unsubscribe.html", status_code=200 if subject else HTTP_404_NOT_FOUND,
                        context={"subject": subject, "token": token, "done": subject is not None})
