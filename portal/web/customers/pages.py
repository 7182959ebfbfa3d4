"""One customer's pages: its posture, a finding, "Scan now" and the scan's live progress.

MSP staff see the customers their scope holds; customer admins and viewers their own tenant only.
Row-level security decides what exists: a customer outside the scope is 404, the same page as one
that does not exist. "Scan now" needs the Operate tier (the one rule, :func:`may`).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_409_CONFLICT, HTTP_429_TOO_MANY_REQUESTS, HTTP_503_SERVICE_UNAVAILABLE

from portal.db.models import Customer, ScanStatus
from portal.db.uow import UnitOfWork
from portal.services.accounts import Action, CustomerAccess, may
from portal.services.drift import drift, period_of
from portal.services.errors import NotFound
from portal.services.onboarding import may_make_consent_link
from portal.services.posture import CustomerPosture, customer_posture, finding_detail
from portal.services.reports import ReportView, reports_of
from portal.services.risks import MAX_DAYS
from portal.services.scans import CADENCES, ScanRefused, ScanWindow, may_schedule, request_scan, window_of
from portal.services.scans.queries import get_scan
from portal.web.ago import ago
from portal.web.callers import PAGE_CALLER, Caller, audit_as, caller_unit_of_work
from portal.web.runtime import WebRuntime

__all__ = ["CustomerPagesController", "customer_header", "render_customer_page", "render_finding_page",
           "report_download_path"]

#: Days of trend on the customer page.
TREND_DAYS = 90
_ACTIVE = (ScanStatus.QUEUED, ScanStatus.RUNNING)


def _not_found() -> NotFoundException:
    # One answer for "not yours" and "not there": nothing to tell them apart by.
    return NotFoundException("no such customer, or not one you can see")


def _access(posture: CustomerPosture) -> CustomerAccess:
    return CustomerAccess(posture.customer_id, posture.msp_id, posture.access_tier, frozenset(posture.tags))


@dataclass(frozen=True)
class _Header:
    """What a page about one of the customer's things needs of the customer itself."""

    customer_id: uuid.UUID
    name: str
    access: CustomerAccess


def customer_header(uow: UnitOfWork, customer_id: uuid.UUID) -> _Header:
    """The customer's name and access (one row: not its posture). Raises ``NotFound`` outside the scope."""
    customer = uow.session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    return _Header(customer.id, customer.name, CustomerAccess(customer.id, customer.msp_id, customer.access_tier,
                                                              frozenset(customer.tags or ())))


def render_customer_page(request: Request, web: WebRuntime, caller: Caller, customer_id: uuid.UUID,
                         status_code: int = 200, **extra: object) -> Template:
    """The customer's page (``extra``: a consent link just made and where it was mailed, or a form's error)."""
    now = dt.datetime.now(dt.UTC)
    try:
        with caller_unit_of_work(web, caller, request) as uow:
            posture = customer_posture(uow, customer_id, today=now.date(), trend_days=TREND_DAYS)
            week = drift(uow, period_of("week", None, now), now=now, customer_id=customer_id).counts
            customer = uow.session.get(Customer, customer_id)
            may_link = customer is not None and may_make_consent_link(caller.membership, customer)
            schedule = _schedule_of(customer) if customer is not None else None
            reports = reports_of(uow, customer_id)
    except NotFound:
        raise _not_found() from None
    params = request.query_params
    wanted = {k: params.get(k) or None for k in ("status", "severity", "area")}
    findings = [f for f in posture.findings if all(v is None or getattr(f, k) == v for k, v in wanted.items())]
    active = next((s for s in posture.scans if s.status in _ACTIVE), None)
    try:
        followed = uuid.UUID(params.get("scan", ""))  # the scan just asked for: its outcome shows once
    except ValueError:
        followed = None
    return Template("customers/page.html", status_code=status_code, context={
        "user": caller, "c": posture, "findings": findings, "wanted": wanted, "now": now,
        "age": ago(now, posture.scored_at), "active_scan": active, "followed_scan": followed,
        "trend_start": now.date() - dt.timedelta(days=TREND_DAYS - 1), "trend_days": TREND_DAYS,
        "areas": sorted({f.area for f in posture.findings}),
        "may_scan": may(caller.membership, Action.START_SCAN, _access(posture)) and web.scan_queue is not None,
        "may_link": may_link and web.consent is not None, "consent_link": None, "mailed_to": None,
        "added": params.get("added") == "1", "break_glass_saved": params.get("break_glass") == "1",
        "break_glass_error": None, "break_glass_typed": None,
        "may_invite": may(caller.membership, Action.MANAGE_CUSTOMER_USERS, _access(posture))
        and web.mailer is not None and posture.tenant_id is not None,
        "open_critical": sum(f.status == "fail" and f.severity == "critical" for f in posture.findings),
        "open_high": sum(f.status == "fail" and f.severity == "high" for f in posture.findings),
        "week": week, "schedule": schedule, "cadences": CADENCES, "schedule_saved": params.get("schedule") == "1",
        "schedule_error": None, "may_schedule": may_schedule(caller.membership, _access(posture)),
        "may_suspend": may(caller.membership, Action.MANAGE_CUSTOMERS), "customer_id": customer_id,
        "reports": reports, "download": report_download_path, "report_error": None, "report_note": "",
        "may_report": may(caller.membership, Action.MANAGE_REPORTS, _access(posture))
        and web.report_queue is not None, **extra})


def report_download_path(view: ReportView) -> str | None:
    """Where a ready report downloads from (None while it renders or after it failed)."""
    if view.status != "ready":
        return None
    if view.customer_id is None:
        return f"/reports/{view.id}/pdf"
    return f"/customers/{view.customer_id}/reports/{view.id}/pdf"


@dataclass(frozen=True)
class _Schedule:
    interval_hours: int
    window: ScanWindow | None
    next_scan_at: dt.datetime | None
    suspended_at: dt.datetime | None
    suspended_by: str | None


def _schedule_of(customer: Customer) -> _Schedule:
    return _Schedule(customer.scan_interval_hours, window_of(customer), customer.next_scan_at, customer.suspended_at,
                     customer.suspended_by)


def render_finding_page(request: Request, web: WebRuntime, caller: Caller, customer_id: uuid.UUID, check_id: str,
                        status_code: int = 200, **extra: object) -> Template:
    """One finding's page (``extra``: the acceptance form's error and what was typed)."""
    try:
        with caller_unit_of_work(web, caller, request) as uow:
            header = customer_header(uow, customer_id)
            detail = finding_detail(uow, customer_id, check_id)
    except NotFound:
        raise NotFoundException("no such finding, or not one you can see") from None
    done = request.query_params.get("risk")
    today = dt.datetime.now(dt.UTC).date()
    return Template("customers/finding.html", status_code=status_code, context={
        "user": caller, "c": header, "d": detail,
        "evidence": json.dumps(detail.evidence, indent=2, sort_keys=True, ensure_ascii=False),
        "may_accept": may(caller.membership, Action.ACCEPT_RISK, header.access),
        "risk_done": done if done in ("accepted", "revoked") else None, "risk_error": None, "typed": {},
        "min_expiry": (today + dt.timedelta(days=1)).isoformat(),
        "max_expiry": (today + dt.timedelta(days=MAX_DAYS)).isoformat(),
        "default_expiry": (today + dt.timedelta(days=90)).isoformat(), **extra})


class CustomerPagesController(Controller):
    path = "/customers"
    include_in_schema = False
    dependencies = PAGE_CALLER

    @get("/{customer_id:uuid}", sync_to_thread=True)
    def page(self, request: Request, customer_id: FromPath[uuid.UUID], web: NamedDependency[WebRuntime],
             caller: NamedDependency[Caller]) -> Template:
        return render_customer_page(request, web, caller, customer_id)

    @get("/{customer_id:uuid}/findings/{check_id:str}", sync_to_thread=True)
    def finding(self, request: Request, customer_id: FromPath[uuid.UUID], check_id: FromPath[str],
                web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> Template:
        return render_finding_page(request, web, caller, customer_id, check_id)

    @post("/{customer_id:uuid}/scans", sync_to_thread=True)
    def scan_now(self, request: Request, customer_id: FromPath[uuid.UUID], web: NamedDependency[WebRuntime],
                 caller: NamedDependency[Caller]) -> Template | Redirect:
        now = dt.datetime.now(dt.UTC)
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                header = customer_header(uow, customer_id)
        except NotFound:
            raise _not_found() from None
        if not may(caller.membership, Action.START_SCAN, header.access):
            raise PermissionDeniedException("your role, or the MSP's access tier for this customer, does not "
                                            "allow starting scans")
        if web.scan_queue is None:
            return Template("customers/scan_refused.html", status_code=HTTP_503_SERVICE_UNAVAILABLE,
                            context={"user": caller, "c": header, "message": "this portal has no queue to send "
                                     "scans to: set POSTURE_BROKER_URL or run posture serve with the database"})
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                scan = request_scan(uow, customer_id, queue=web.scan_queue, now=now)
        except ScanRefused as exc:
            if exc.active_scan is not None:
                return Redirect(f"/customers/{customer_id}?scan={exc.active_scan}", status_code=303)
            return Template("customers/scan_refused.html",
                            status_code=HTTP_429_TOO_MANY_REQUESTS if exc.wait_s else HTTP_409_CONFLICT,
                            headers={"Retry-After": str(exc.wait_s)} if exc.wait_s else None,
                            context={"user": caller, "c": header, "message": str(exc)})
        audit_as(web, caller, "scan.started_by_hand", f"scan:{scan.id}", {"customer": str(customer_id)})
        return Redirect(f"/customers/{customer_id}?scan={scan.id}", status_code=303)

    @get("/{customer_id:uuid}/scans/{scan_id:uuid}/progress", sync_to_thread=True)
    def progress(self, request: Request, customer_id: FromPath[uuid.UUID], scan_id: FromPath[uuid.UUID],
                 web: NamedDependency[WebRuntime], caller: NamedDependency[Caller]) -> Template:
        """The scan's state as an htmx fragment, polled every two seconds until the scan ends."""
        try:
            with caller_unit_of_work(web, caller, request) as uow:
                scan = get_scan(uow, scan_id)
                if scan.customer_id != customer_id:
                    raise NotFound(f"scan {scan_id} not found")
                status, queued, started, finished = scan.status, scan.queued_at, scan.started_at, scan.finished_at
                requests, score = scan.request_count, scan.score
        except NotFound:
            raise NotFoundException("no such scan, or not one you can see") from None
        return Template("customers/_progress.html", context={
            "customer_id": customer_id, "scan_id": scan_id, "status": ScanStatus(status), "queued": queued,
            "started": started, "finished": finished, "requests": requests, "score": score,
            "active": ScanStatus(status) in _ACTIVE, "now": dt.datetime.now(dt.UTC)})
