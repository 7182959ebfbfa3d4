"""The fleet report: one PDF across the MSP's customers (all, or those with a tag), for the MSP itself.

It reads the fleet as it stands when rendered: each customer's effective score (``customers``), its
open critical and high findings, its 30-day change (``score_history``), and the failing checks most
customers share (``latest_results``, counted checks only). MSP admins ask for it (a tag-limited analyst
must not get a report of customers outside their tags: migration 0022).

Decisions:
- Customers without a score yet are listed, last, with "not scored": a fleet report that drops the
  customers it cannot score hides exactly the ones needing attention.
- Accepted failures are not counted among the common failures, as on the customer's own report.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Float, Numeric, any_, func, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from portal.db.models import Customer, LatestResult, Report, RiskAcceptance, ScoreHistory
from portal.db.uow import UnitOfWork
from portal.services.audit import record_event
from portal.services.branding import Brand, brand_for
from portal.services.errors import Conflict, Forbidden
from portal.services.plain_text import plain_line, plain_lines
from portal.services.reports._content import catalogue_meta
from portal.services.reports._render import render_document
from scanner import grade

__all__ = ["FleetLine", "FleetReport", "build_fleet_report", "render_fleet_report", "request_fleet_report"]

COMMON_FAILURES = 10


@dataclass(frozen=True)
class FleetLine:
    customer_id: uuid.UUID
    name: str
    score: float | None
    grade: str | None
    change_30d: float | None
    open_critical: int
    open_high: int
    connection_state: str
    last_scan_at: dt.datetime | None
    baseline_name: str | None


@dataclass(frozen=True)
class CommonFailure:
    check_id: str
    title: str
    severity: str
    customers: int


@dataclass(frozen=True)
class FleetReport:
    brand: Brand
    tag: str | None
    issued_on: dt.date
    version: int
    note: str
    lines: tuple[FleetLine, ...]
    common: tuple[CommonFailure, ...]
    trend: tuple[tuple[dt.date, float | None], ...]
    trend_start: dt.date

    @property
    def scored(self) -> tuple[FleetLine, ...]:
        return tuple(line for line in self.lines if line.score is not None)

    @property
    def average(self) -> float | None:
        scored = self.scored
        return round(sum(line.score or 0 for line in scored) / len(scored), 1) if scored else None

    @property
    def grades(self) -> dict[str, int]:
        out = dict.fromkeys(("A", "B", "C", "D", "F"), 0)
        for line in self.scored:
            out[line.grade or "F"] = out.get(line.grade or "F", 0) + 1
        return out

    @property
    def open_critical(self) -> int:
        return sum(line.open_critical for line in self.lines)

    @property
    def attention(self) -> tuple[FleetLine, ...]:
        """Customers with a critical finding open or a lost connection, worst first."""
        return tuple(sorted((line for line in self.lines
                             if line.open_critical or line.connection_state in ("disconnected", "degraded")),
                            key=lambda line: (-line.open_critical, line.score or 0, line.name.casefold())))


def _sort(lines: Sequence[FleetLine]) -> tuple[FleetLine, ...]:
    return tuple(sorted(lines, key=lambda line: (line.score is None, line.score or 0, line.name.casefold())))


def build_fleet_report(uow: UnitOfWork, msp_id: uuid.UUID, *, tag: str | None, today: dt.date, note: str = "",
                       version: int = 1) -> FleetReport:
    """The fleet as it stands (see the module's decisions)."""
    query = select(Customer).where(Customer.msp_id == msp_id)
    if tag:
        query = query.where(tag == any_(Customer.tags))
    customers = list(uow.session.scalars(query))
    ids = [c.id for c in customers]
    month_ago = today - dt.timedelta(days=30)
    last_then = (select(ScoreHistory.customer_id, func.max(ScoreHistory.day).label("day"))
                 .where(ScoreHistory.customer_id.in_(ids), ScoreHistory.day <= month_ago)
                 .group_by(ScoreHistory.customer_id).subquery())
    then = dict(uow.session.execute(
        select(ScoreHistory.customer_id, ScoreHistory.score).join(
            last_then, (last_then.c.customer_id == ScoreHistory.customer_id) & (last_then.c.day == ScoreHistory.day))
    ).all())
    lines = [FleetLine(
        c.id, c.name, c.score, c.grade,
        round(c.score - then[c.id], 1) if c.score is not None and then.get(c.id) is not None else None,
        c.open_critical or 0, c.open_high or 0, c.connection_state.value, c.last_scan_at, c.baseline_name)
        for c in customers]
    accepted = (select(RiskAcceptance.id).where(
        RiskAcceptance.customer_id == LatestResult.customer_id, RiskAcceptance.check_id == LatestResult.check_id,
        RiskAcceptance.revoked_at.is_(None), RiskAcceptance.expires_at > func.now()).exists())
    common_rows = uow.session.execute(
        select(LatestResult.check_id, func.max(LatestResult.severity), func.count())
        .where(LatestResult.customer_id.in_(ids), LatestResult.status == "fail",
               LatestResult.scored_severity.is_not(None), ~accepted)
        .group_by(LatestResult.check_id).order_by(func.count().desc(), LatestResult.check_id)
        .limit(COMMON_FAILURES)).all()
    common = tuple(CommonFailure(check_id, (m.title if (m := catalogue_meta(check_id)) else check_id), severity, n)
                   for check_id, severity, n in common_rows)
    trend_start = today - dt.timedelta(days=89)
    trend = tuple(uow.session.execute(
        select(ScoreHistory.day, func.round(func.avg(ScoreHistory.score).cast(Numeric), 1).cast(Float))
        .where(ScoreHistory.customer_id.in_(ids), ScoreHistory.day >= trend_start)
        .group_by(ScoreHistory.day).order_by(ScoreHistory.day)).all())
    return FleetReport(brand=brand_for(uow, msp_id, None), tag=tag, issued_on=today, version=version, note=note,
                       lines=_sort(lines), common=common, trend=tuple((d, s) for d, s in trend),
                       trend_start=trend_start)


def render_fleet_report(uow: UnitOfWork, report: Report) -> tuple[bytes, int, float | None, str | None]:
    """Render a queued fleet report row (the worker, in the MSP's scope)."""
    content = build_fleet_report(uow, report.msp_id, tag=report.tag, today=report.requested_at.date(),
                                 note=report.note, version=report.version)
    pdf, pages = render_document("reports/fleet.html", f=content)
    return pdf, pages, content.average, grade(content.average)


def request_fleet_report(uow: UnitOfWork, msp_id: uuid.UUID, *, tag: str | None = None, note: str = "") -> uuid.UUID:
    """Ask for the next version of the fleet report (of customers with ``tag``, or all of them).

    Raises:
        InvalidInput: a bad tag or note.
        Forbidden: the caller is not an MSP admin (the database refused).
    """
    tag = plain_line(tag or "", "tag", max_length=50, required=False).lower() or None
    note = plain_lines(note or "", "note", max_length=2000)
    for _ in range(3):
        version = (uow.session.scalar(select(func.max(Report.version))
                                      .where(Report.msp_id == msp_id, Report.kind == "fleet")) or 0) + 1
        report_id = uuid.uuid4()
        try:
            with uow.session.begin_nested():
                uow.session.execute(insert(Report).values(id=report_id, msp_id=msp_id, kind="fleet", version=version,
                                                          note=note, tag=tag))
        except IntegrityError:
            continue
        except DBAPIError as exc:
            if "row-level security" in str(exc.orig):
                raise Forbidden("only MSP admins make the fleet report") from None
            raise
        record_event(uow, customer_id=None, action="report.requested", target=f"report:{report_id}",
                     details={"kind": "fleet", "tag": tag, "version": version})
        return report_id
    raise Conflict("someone else is asking for the fleet report right now; try again")
