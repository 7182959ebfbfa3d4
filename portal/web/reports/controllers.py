"""Reports in the portal: a customer's executive reports (made from its page, downloaded by anyone who
sees the customer), the MSP's fleet report (``/reports``, MSP admins), and the same through
``/api/v1``.

Who may ask is ``Action.MANAGE_REPORTS`` (customer admins, MSP staff from the Operate tier; the fleet
report: MSP admins), checked here and again by the database (migration 0022). A report is rendered by
a worker; the page shows it queued and polls until it is ready. A PDF is sent as an attachment,
never cached by a shared cache.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import (
    ClientException,
    NotFoundException,
    PermissionDeniedException,
    ServiceUnavailableException,
)
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_409_CONFLICT

from portal.services.accounts import Action, may
from portal.services.customers import customer_tags
from portal.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.services.reports import (
    ReportView,
    fleet_reports,
    report_pdf,
    reports_of,
    request_fleet_report,
    request_report,
)
from portal.web.callers import API_CALLER, PAGE_CALLER, Caller, caller_unit_of_work, require_msp_staff
from portal.web.customers.pages import customer_header, render_customer_page
from portal.web.customers.pages import report_download_path as download_path
from portal.web.reports.schemas import ReportOut, ReportRequestIn, ReportsOut
from portal.web.runtime import WebRuntime

__all__ = ["FleetReportsController", "ReportsApiController", "ReportsController", "download_path"]

_FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
_NO_QUEUE = "this portal has no queue to send reports to: set POSTURE_BROKER_URL or run posture serve"


class ReportForm(msgspec.Struct):
    note: str = ""
    tag: str = ""


def _pdf_response(view: ReportView, pdf: bytes) -> Response[bytes]:
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{view.filename}"', "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff"})


def _may_report(web: WebRuntime, caller: Caller, request: Request, customer_id: uuid.UUID) -> None:
    try:
        with caller_unit_of_work(web, caller, request) as uow:
            header = customer_header(uow, customer_id)
    except NotFound:
        raise NotFoundException("no such customer, or not one you can see") from None
    if not may(caller.membership, Action.MANAGE_REPORTS, header.access):
        raise PermissionDeniedException("your role, or the MSP's access tier for this customer, does not allow "
                                        "making reports")


def _ask(web: WebRuntime, caller: Caller, request: Request, customer_id: uuid.UUID, note: str,
         scan_id: uuid.UUID | None = None) -> uuid.UUID:
    """Request a report and send it to the workers. Raises the service's errors."""
    if web.report_queue is None:
        raise ServiceUnavailableException(_NO_QUEUE)
    with caller_unit_of_work(web, caller, request) as uow:
        report_id = request_report(uow, customer_id, note=note, scan_id=scan_id)
    web.report_queue(msp_id=caller.membership.msp_id, customer_id=customer_id, report_id=report_id)
    return report_id


class ReportsController(Controller):
    """A customer's reports, from its page."""

    path = "/customers"
    include_in_schema = False
    dependencies = PAGE_CALLER

    @post("/{customer_id:uuid}/reports", sync_to_thread=True)
    def make(self, request: Request, customer_id: FromPath[uuid.UUID], data: Annotated[ReportForm, _FORM],
             web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> Redirect | Template:
        _may_report(web, caller, request, customer_id)
        try:
            _ask(web, caller, request, customer_id, data.note)
        except NotFound:
            raise NotFoundException("no such customer, or not one you can see") from None
        except Forbidden as exc:
            raise PermissionDeniedException(str(exc)) from None
        except (InvalidInput, Conflict) as exc:
            return render_customer_page(request, web, caller, customer_id, status_code=400 if isinstance(
                exc, InvalidInput) else HTTP_409_CONFLICT, report_error=str(exc), report_note=data.note[:2000])
        return Redirect(f"/customers/{customer_id}?report=queued#reports", status_code=303)

    @get("/{customer_id:uuid}/reports", sync_to_thread=True)
    def card(self, request: Request, customer_id: FromPath[uuid.UUID], web: NamedDependency[WebRuntime],
             caller: NamedDependency[Caller]) -> Template:
        """The reports card as an htmx fragment, polled while a report renders."""
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                header = customer_header(uow, customer_id)
                reports = reports_of(uow, customer_id)
        except NotFound:
            raise NotFoundException("no such customer, or not one you can see") from None
        return Template("reports/_customer_reports.html", context={
            "customer_id": customer_id, "reports": reports, "download": download_path,
            "may_report": may(caller.membership, Action.MANAGE_REPORTS, header.access)
            and web.report_queue is not None, "report_error": None, "report_note": ""})

    @get("/{customer_id:uuid}/reports/{report_id:uuid}/pdf", sync_to_thread=True)
    def download(self, request: Request, customer_id: FromPath[uuid.UUID], report_id: FromPath[uuid.UUID],
                 web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> Response[bytes]:
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                view, pdf = report_pdf(uow, report_id)
        except NotFound:
            raise NotFoundException("no such report, or not one you can see") from None
        if view.customer_id != customer_id:
            raise NotFoundException("no such report, or not one you can see")
        return _pdf_response(view, pdf)


class FleetReportsController(Controller):
    """``/reports``: the MSP's fleet report, all customers or those with a tag."""

    path = "/reports"
    include_in_schema = False
    dependencies = PAGE_CALLER

    def _authorise(self, caller: Caller) -> None:
        require_msp_staff(caller, "the fleet report is your service provider's")
        if not may(caller.membership, Action.MANAGE_CUSTOMERS):
            raise PermissionDeniedException("only MSP admins make the fleet report")

    def _page(self, request: Request, web: WebRuntime, caller: Caller, *, status_code: int = 200,
              error: str | None = None, typed: ReportForm | None = None) -> Template:
        with caller_unit_of_work(web, caller, request) as uow:
            views = fleet_reports(uow)
            tags = customer_tags(uow)
        return Template("reports/fleet_page.html", status_code=status_code, context={
            "user": caller, "reports": views, "download": download_path, "tags": tags, "error": error,
            "typed": typed or ReportForm(), "may_report": web.report_queue is not None,
            "queued": request.query_params.get("report") == "queued"})

    @get("/", sync_to_thread=True)
    def page(self, request: Request, web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> Template:
        self._authorise(caller)
        return self._page(request, web, caller)

    @post("/", sync_to_thread=True)
    def make(self, request: Request, data: Annotated[ReportForm, _FORM], web: NamedDependency[WebRuntime],
             caller: NamedDependency[Caller]) -> Redirect | Template:
        self._authorise(caller)
        if web.report_queue is None:
            raise ServiceUnavailableException(_NO_QUEUE)
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                report_id = request_fleet_report(uow, caller.membership.msp_id, tag=data.tag, note=data.note)
        except Forbidden as exc:
            raise PermissionDeniedException(str(exc)) from None
        except (InvalidInput, Conflict) as exc:
            return self._page(request, web, caller, status_code=400, error=str(exc),
                              typed=ReportForm(note=data.note[:2000], tag=data.tag[:50]))
        web.report_queue(msp_id=caller.membership.msp_id, customer_id=None, report_id=report_id)
        return Redirect("/reports?report=queued", status_code=303)

    @get("/{report_id:uuid}/pdf", sync_to_thread=True)
    def download(self, request: Request, report_id: FromPath[uuid.UUID], web: NamedDependency[WebRuntime],
                 caller: NamedDependency[Caller]) -> Response[bytes]:
        self._authorise(caller)
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                view, pdf = report_pdf(uow, report_id)
        except NotFound:
            raise NotFoundException("no such report, or not one you can see") from None
        if view.customer_id is not None:
            raise NotFoundException("no such report, or not one you can see")
        return _pdf_response(view, pdf)


def _out(view: ReportView) -> ReportOut:
    path = download_path(view)
    api = f"/api/v1/reports/{view.id}/pdf" if path else None
    return ReportOut(id=view.id, kind=view.kind, version=view.version, status=view.status, scan_id=view.scan_id,
                     scan_started_at=view.scan_started, requested_by=view.requested_by,
                     requested_at=view.requested_at, rendered_at=view.rendered_at,
                     failure_reason=view.failure_reason, pages=view.pages, bytes=view.size, score=view.score,
                     grade=view.grade, download=api)


class ReportsApiController(Controller):
    path = "/api/v1"
    tags = ["reports"]
    dependencies = API_CALLER

    @get("/customers/{customer_id:uuid}/reports", operation_id="listReports", summary="A customer's reports",
         raises=[NotFoundException], sync_to_thread=True)
    def list_reports(self, request: Request, customer_id: FromPath[uuid.UUID], web: NamedDependency[WebRuntime],
                     caller: NamedDependency[Caller]) -> ReportsOut:
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                customer_header(uow, customer_id)
                views = reports_of(uow, customer_id)
        except NotFound:
            raise NotFoundException("no such customer, or not one you can see") from None
        return ReportsOut(reports=[_out(v) for v in views])

    @post("/customers/{customer_id:uuid}/reports", operation_id="requestReport", status_code=HTTP_202_ACCEPTED,
          summary="Ask for the next version of a customer's executive report",
          description="Rendered by a worker: poll the list until its status is ready. Needs a read-write "
                      "token (the API takes no browser writes).",
          raises=[NotFoundException, PermissionDeniedException, ServiceUnavailableException],
          responses={HTTP_409_CONFLICT: ResponseSpec(None, description="The customer has no finished scan yet")},
          sync_to_thread=True)
    def request_one(self, request: Request, customer_id: FromPath[uuid.UUID], data: Annotated[ReportRequestIn, Body()],
                    web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> ReportOut:
        if caller.token_id is None or not caller.read_write:
            raise PermissionDeniedException("writes through the API take a read-write token")
        _may_report(web, caller, request, customer_id)
        try:
            report_id = _ask(web, caller, request, customer_id, data.note, data.scan_id)
            with caller_unit_of_work(web, caller, request) as uow:
                view = next(v for v in reports_of(uow, customer_id) if v.id == report_id)
        except NotFound:
            raise NotFoundException("no such customer or scan, or not one you can see") from None
        except Forbidden as exc:
            raise PermissionDeniedException(str(exc)) from None
        except InvalidInput as exc:
            raise ClientException(str(exc)) from None
        except Conflict as exc:
            raise ClientException(str(exc), status_code=HTTP_409_CONFLICT) from None
        return _out(view)

    @get("/reports/{report_id:uuid}/pdf", operation_id="downloadReport", summary="A rendered report's PDF",
         media_type="application/pdf", raises=[NotFoundException], sync_to_thread=True)
    def download(self, request: Request, report_id: FromPath[uuid.UUID], web: NamedDependency[WebRuntime],
                 caller: NamedDependency[Caller]) -> Response[bytes]:
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                view, pdf = report_pdf(uow, report_id)
        except NotFound:
            raise NotFoundException("no such report, or not one you can see") from None
        return _pdf_response(view, pdf)
