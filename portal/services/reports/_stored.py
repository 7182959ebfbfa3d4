"""Stored reports: a person asks for a customer's report of a scan, a worker renders it, everyone in
scope downloads it.

Each request is a new version (1, 2, ... per scan), so a report once sent never changes under its
reader. The worker renders from the stored scan (its verdicts and figures, ``check_results`` and
``scans.environment``) and from what stood when the report was asked for: the risk acceptances in
force at ``requested_at``, the previous report of the customer for "new" and "fixed". Rendering the
same version twice gives the same content.

Idempotent for redelivered messages: the worker locks the row and renders only while it is queued;
a second worker skips a row the first holds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from dataclasses import dataclass, replace
from typing import Protocol

from sqlalchemy import Engine, func, insert, or_, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from portal.db.models import CheckResultRow, Customer, Report, RiskAcceptance, Scan, ScoreHistory
from portal.db.scope import Scope
from portal.db.uow import UnitOfWork, unit_of_work
from portal.services.audit import record_event
from portal.services.baselines import customer_rules
from portal.services.branding import brand_for
from portal.services.errors import Conflict, Forbidden, NotFound
from portal.services.plain_text import plain_lines
from portal.services.reports._content import (
    AcceptedRisk,
    ExecutiveReport,
    ReportInputs,
    ScannedCheck,
    build_report,
    catalogue_meta,
    status_in_words,
)
from portal.services.reports._fleet import render_fleet_report
from portal.services.reports._render import render_document
from scanner import SEVERITY_WEIGHTS

__all__ = ["MAX_NOTE", "ReportQueue", "ReportView", "fleet_reports", "latest_reportable_scan", "render_stored_report",
           "report_content", "report_pdf", "reports_of", "request_report"]

log = logging.getLogger(__name__)
MAX_NOTE = 2000
_REPORTABLE = ("completed", "partial")


class ReportQueue(Protocol):
    """Ask a worker to render one report. Called after the request commits."""

    def __call__(self, *, msp_id: uuid.UUID, customer_id: uuid.UUID | None, report_id: uuid.UUID) -> None: ...


@dataclass(frozen=True)
class ReportView:
    id: uuid.UUID
    kind: str
    customer_id: uuid.UUID | None
    scan_id: uuid.UUID | None
    version: int
    status: str
    requested_by: str
    requested_at: dt.datetime
    rendered_at: dt.datetime | None
    failure_reason: str | None
    pages: int | None
    size: int | None
    score: float | None
    grade: str | None
    scan_started: dt.datetime | None
    note: str
    tag: str | None = None

    @property
    def filename(self) -> str:
        day = (self.scan_started or self.requested_at).date().isoformat()
        return f"{self.kind}-report-{day}-v{self.version}.pdf"


def _view_query():
    return (select(Report.id, Report.kind, Report.customer_id, Report.scan_id, Report.version, Report.status,
                   Report.requested_by, Report.requested_at, Report.rendered_at, Report.failure_reason, Report.pages,
                   func.octet_length(Report.pdf), Report.score, Report.grade, Scan.started_at, Report.note,
                   Report.tag)
            .outerjoin(Scan, Scan.id == Report.scan_id))


def reports_of(uow: UnitOfWork, customer_id: uuid.UUID, *, limit: int = 50) -> list[ReportView]:
    """The customer's reports, newest first."""
    rows = uow.session.execute(_view_query().where(Report.customer_id == customer_id)
                               .order_by(Report.requested_at.desc(), Report.version.desc()).limit(limit))
    return [ReportView(*row) for row in rows]


def fleet_reports(uow: UnitOfWork, *, limit: int = 50) -> list[ReportView]:
    """The MSP's fleet reports, newest first (MSP admins' scope only: migration 0022)."""
    rows = uow.session.execute(_view_query().where(Report.kind == "fleet")
                               .order_by(Report.requested_at.desc(), Report.version.desc()).limit(limit))
    return [ReportView(*row) for row in rows]


def report_pdf(uow: UnitOfWork, report_id: uuid.UUID) -> tuple[ReportView, bytes]:
    """One rendered report and its PDF. Raises ``NotFound`` when it is not in scope or not ready."""
    row = uow.session.execute(_view_query().where(Report.id == report_id)).one_or_none()
    if row is None or row.status != "ready":
        raise NotFound(f"no report {report_id} ready")
    pdf = uow.session.scalar(select(Report.pdf).where(Report.id == report_id))
    assert pdf is not None  # ready implies a PDF (a table constraint)
    return ReportView(*row), pdf


def _reportable_scan(uow: UnitOfWork, customer_id: uuid.UUID, scan_id: uuid.UUID | None) -> Scan:
    query = select(Scan).where(Scan.customer_id == customer_id, Scan.status.in_(_REPORTABLE))
    if scan_id is not None:
        scan = uow.session.scalars(query.where(Scan.id == scan_id)).one_or_none()
        if scan is None:
            raise NotFound(f"no finished scan {scan_id} for customer {customer_id}")
        return scan
    # The latest scan of the whole catalogue: a re-verify of a few checks is no report's subject.
    scan = uow.session.scalars(query.where(Scan.check_ids.is_(None)).order_by(Scan.started_at.desc()).limit(1)).first()
    if scan is None:
        raise Conflict("this customer has no finished scan to report yet")
    return scan


def request_report(uow: UnitOfWork, customer_id: uuid.UUID, *, note: str = "",
                   scan_id: uuid.UUID | None = None) -> uuid.UUID:
    """Ask for the next version of the customer's executive report, of ``scan_id`` or of its latest scan.

    Raises:
        NotFound: no such customer or scan in scope.
        Conflict: the customer has no finished scan yet.
        InvalidInput: the note is too long or holds control characters.
        Forbidden: the caller may not make this customer's reports (the database refused).
    """
    if uow.session.get(Customer, customer_id) is None:
        raise NotFound(f"customer {customer_id} not found")
    note = plain_lines(note or "", "note", max_length=MAX_NOTE)
    scan = _reportable_scan(uow, customer_id, scan_id)
    for _ in range(3):  # two people asking at once take the same version: the unique index decides
        version = (uow.session.scalar(select(func.max(Report.version)).where(Report.scan_id == scan.id)) or 0) + 1
        report_id = uuid.uuid4()
        try:
            with uow.session.begin_nested():
                # A Core insert: the web role may write only the request's columns (migration 0022).
                uow.session.execute(insert(Report).values(id=report_id, msp_id=scan.msp_id, customer_id=customer_id,
                                                          scan_id=scan.id, kind="executive", version=version,
                                                          note=note))
        except IntegrityError:
            continue
        except DBAPIError as exc:
            if "row-level security" in str(exc.orig):  # the policies said no; a missing grant is our bug
                raise Forbidden("your role, or the MSP's tier for this customer, does not allow making reports") \
                    from None
            raise
        record_event(uow, customer_id=customer_id, action="report.requested", target=f"report:{report_id}",
                     details={"scan": str(scan.id), "version": version})
        return report_id
    raise Conflict("someone else is asking for this report right now; try again")


def _scanned(uow: UnitOfWork, scan_id: uuid.UUID) -> list[ScannedCheck]:
    rows = uow.session.execute(select(CheckResultRow.check_id, CheckResultRow.status, CheckResultRow.severity,
                                      CheckResultRow.reason, CheckResultRow.affected)
                               .where(CheckResultRow.scan_id == scan_id))
    return [ScannedCheck(r.check_id, r.status, r.severity, r.reason, tuple(str(a) for a in r.affected or ()))
            for r in rows]


def _standing_at(uow: UnitOfWork, customer_id: uuid.UUID, when: dt.datetime) -> dict[str, AcceptedRisk]:
    rows = uow.session.scalars(select(RiskAcceptance).where(
        RiskAcceptance.customer_id == customer_id, RiskAcceptance.accepted_at <= when, RiskAcceptance.expires_at > when,
        or_(RiskAcceptance.revoked_at.is_(None), RiskAcceptance.revoked_at > when)))
    out = {}
    for r in rows:
        meta = catalogue_meta(r.check_id)
        out[r.check_id] = AcceptedRisk(r.check_id, meta.title if meta else r.check_id,
                                       meta.severity.value if meta else "medium", r.reason, r.accepted_by,
                                       r.expires_at)
    return out


def _previous(uow: UnitOfWork, report: Report, scan: Scan) -> tuple[Report, Scan] | None:
    row = uow.session.execute(
        select(Report, Scan).join(Scan, Scan.id == Report.scan_id)
        .where(Report.customer_id == report.customer_id, Report.status == "ready", Report.kind == "executive",
               Scan.started_at < scan.started_at)
        .order_by(Scan.started_at.desc(), Report.version.desc()).limit(1)).first()
    return (row[0], row[1]) if row else None


def _inputs(uow: UnitOfWork, report: Report) -> ReportInputs:
    assert report.customer_id is not None and report.scan_id is not None
    customer = uow.session.get(Customer, report.customer_id)
    scan = uow.session.get(Scan, report.scan_id)
    if customer is None or scan is None or scan.started_at is None:
        raise NotFound("the report's customer or scan is gone")
    checks = _scanned(uow, scan.id)
    rules = customer_rules(uow, customer)
    scan_day = scan.started_at.date()
    history = uow.session.execute(select(ScoreHistory.day, ScoreHistory.score).where(
        ScoreHistory.customer_id == customer.id, ScoreHistory.day > scan_day - dt.timedelta(days=90),
        ScoreHistory.day <= scan_day).order_by(ScoreHistory.day)).all()
    previous = _previous(uow, report, scan)
    return ReportInputs(
        customer_name=customer.name, tenant_id=customer.tenant_id, default_domain=customer.default_domain,
        scan_started=scan.started_at, scan_status=scan.status.value, checks=checks,
        brand=brand_for(uow, customer.msp_id, customer.id), issued_on=report.requested_at.date(),
        connection_state=str(customer.connection_state.value), environment=scan.environment or {},
        trend=[(d, s) for d, s in history],
        previous=_scanned(uow, previous[1].id) if previous else None,
        previous_score=previous[0].score if previous else None,
        previous_on=previous[1].started_at.date() if previous and previous[1].started_at else None,
        acceptances=_standing_at(uow, customer.id, report.requested_at),
        scored_severity={c.check_id: rules.severity_of(c.check_id, c.severity) for c in checks},
        baseline_name=rules.name, note=report.note, version=report.version)


def render_stored_report(engine: Engine, report_id: uuid.UUID, msp_id: uuid.UUID, customer_id: uuid.UUID | None,
                         *, actor: str = "system:worker") -> str:
    del customer_id  # in the message for the logs; the row says whose it is
    """Render one queued report (the worker's ``render_report`` actor). Returns its status afterwards:
    ``ready``, ``failed``, or what it already was (a redelivered message renders nothing twice).

    A failure of the data or the renderer marks the report failed with the reason (a retry would fail
    the same way); a database that cannot be reached raises, for the worker to retry.
    """
    # The MSP's scope, not the customer's: the report is branded with the MSP-wide branding row too.
    with unit_of_work(engine, Scope.for_msp(msp_id, actor=actor)) as uow:
        report = uow.session.scalars(select(Report).where(Report.id == report_id)
                                     .with_for_update(skip_locked=True)).one_or_none()
        if report is None:
            held = uow.session.scalar(select(Report.status).where(Report.id == report_id))
            return held or "missing"  # another worker holds it, or it is gone
        if report.status != "queued":
            return report.status
        try:
            pdf, pages, score, grade = _render(uow, report)
        except (OperationalError, DBAPIError):
            raise
        except Exception as exc:
            log.exception("report %s could not be rendered", report_id)
            report.status, report.failure_reason = "failed", f"{type(exc).__name__}: {exc}"[:500]
            report.rendered_at = dt.datetime.now(dt.UTC)
            return report.status
        report.pdf, report.pdf_sha256, report.pages = pdf, hashlib.sha256(pdf).hexdigest(), pages
        report.score, report.grade, report.status = score, grade, "ready"
        report.rendered_at = dt.datetime.now(dt.UTC)
        return report.status


def report_content(uow: UnitOfWork, report: Report) -> ExecutiveReport:
    """What a customer's report says, built again from its stored scan (the PDF's content, and the email
    summary's). ``report`` may be unsaved (a preview of the latest scan).

    The verdicts are the scan's, but the baseline is read now; for a rendered report, the score, grade
    and change are the ones its PDF printed, so a summary sent later never contradicts its attachment.
    """
    content = build_report(_inputs(uow, report))
    if report.status == "ready" and report.score is not None and content.score not in (None, report.score):
        moved = float(report.score) - content.score  # type: ignore[operator]
        content = replace(content, score=float(report.score), grade=report.grade,
                          status_words=status_in_words(float(report.score), content.open_critical,
                                                       content.connection_state),
                          change=None if content.change is None else round(content.change + moved, 1))
    return content


def latest_reportable_scan(uow: UnitOfWork, customer_id: uuid.UUID) -> Scan:
    """The customer's latest finished scan of the whole catalogue. Raises ``Conflict`` when it has none."""
    return _reportable_scan(uow, customer_id, None)


def _render(uow: UnitOfWork, report: Report) -> tuple[bytes, int, float | None, str | None]:
    if report.kind == "fleet":
        return render_fleet_report(uow, report)
    content = report_content(uow, report)
    pdf, pages = render_document("reports/executive.html", r=content, weights=SEVERITY_WEIGHTS)
    return pdf, pages, content.score, content.grade
