"""One customer in depth: its posture now (score, areas, findings), its trend and scans, and one finding.

Everything comes from the projection (``latest_results``), the last scored scan, the daily trend and
the check catalogue's metadata (title, area, remediation, references), read in the caller's scope:
a customer outside it is ``NotFound``, the same answer as one that does not exist.

Decisions:
- Findings list every check's latest verdict, failing first (by severity), then errors, then passes
  and not-applicable ones: a customer admin should see what is fine too, not only what is wrong.
- A check the catalogue no longer has keeps its stored verdict with its id as the title, rather than
  disappearing from the history.
- A failing check with a standing risk acceptance is shown as ``accepted`` (with who accepted it, why
  and until when), sorted after the failures, and counts in neither the score nor the failing counts.
- The score is the customer row's (the effective score, ``portal.services.risks``), not the last
  scan's own figure: a re-verify of a few checks or an acceptance moves it.
- A finding's history is its verdict at each scan that read it, newest first, capped at
  ``HISTORY_LIMIT`` scans.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from portal.db.models import AccessTier, CheckResultRow, ConnectionState, Customer, LatestResult, Scan
from portal.db.uow import UnitOfWork
from portal.services.errors import NotFound
from portal.services.risks import Acceptance, standing_acceptances
from portal.services.scans.queries import recent_scans, score_history
from scanner import CheckMeta, Severity, Status, catalogue, score_of

__all__ = ["HISTORY_LIMIT", "AreaScore", "CustomerPosture", "Finding", "FindingDetail", "customer_posture",
           "finding_detail"]

HISTORY_LIMIT = 50
_SEVERITY_ORDER = {s: i for i, s in enumerate(("critical", "high", "medium", "low", "info"))}
_STATUS_ORDER = {"fail": 0, "accepted": 1, "error": 2, "pass": 3, "not_applicable": 4}
#: Statuses that count in an area's score, as the scanner's own status.
_SCORED = {"fail": Status.FAIL, "pass": Status.PASS, "error": Status.ERROR, "not_applicable": Status.NOT_APPLICABLE}


@functools.cache
def _catalogue() -> dict[str, CheckMeta]:
    return {check.id: check.meta for check in catalogue()}


@dataclass(frozen=True)
class Finding:
    check_id: str
    title: str
    area: str
    severity: str
    status: str
    reason: str | None
    affected_count: int
    status_since: dt.datetime
    new: bool  # started failing at the last scan
    acceptance: Acceptance | None = None  # standing, when the status is "accepted"
    #: False when the customer's baseline leaves the check out of the score (it still runs and shows).
    counted: bool = True


@dataclass(frozen=True)
class AreaScore:
    area: str
    score: float | None
    failing: int
    checks: int


@dataclass(frozen=True)
class CustomerPosture:
    customer_id: uuid.UUID
    msp_id: uuid.UUID
    name: str
    tenant_id: str | None
    default_domain: str | None
    connection_state: ConnectionState
    connection_reason: str | None
    missing_permissions: tuple[str, ...]
    access_tier: AccessTier
    tags: tuple[str, ...]
    score: float | None
    grade: str | None
    coverage: float | None
    scored_at: dt.datetime | None
    areas: list[AreaScore]
    findings: list[Finding]
    trend: list[tuple[dt.date, float | None]]
    scans: list[Scan]
    #: The emergency-access accounts recorded for the tenant (the exclusions Conditional Access checks accept).
    break_glass_ids: tuple[str, ...] = ()
    #: Without them: the ids every policy excludes, which the last scan asks to confirm (reason
    #: ``break_glass_unconfirmed``), and how many checks wait for that.
    break_glass_candidates: tuple[str, ...] = ()
    awaiting_break_glass: int = 0
    #: The baseline the score is read against (None: the whole catalogue).
    baseline_name: str | None = None


#: The reason a Conditional Access check gives when its policy excludes accounts nobody recorded.
BREAK_GLASS_UNCONFIRMED = "break_glass_unconfirmed"


@dataclass(frozen=True)
class FindingDetail:
    finding: Finding
    rationale: str
    remediation: str
    references: tuple[str, ...]
    decision: str | None
    evidence: dict[str, Any]
    affected: list[str]
    history: list[tuple[dt.datetime, str, str | None]]  # (scan started, status, reason), newest first


def _customer(uow: UnitOfWork, customer_id: uuid.UUID) -> Customer:
    customer = uow.session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer {customer_id} not found")
    return customer


def _finding(row: LatestResult, accepted: dict[str, Acceptance]) -> Finding:
    meta = _catalogue().get(row.check_id)
    title, area = (meta.title, meta.area) if meta else (row.check_id, "Retired checks")
    new = row.status == "fail" and row.status_since == row.last_seen_at and row.first_seen_at < row.last_seen_at
    acceptance = accepted.get(row.check_id) if row.status == "fail" else None
    # The severity the baseline gives it (the catalogue's when no baseline changes it, or leaves it out).
    severity = row.scored_severity or row.severity
    return Finding(row.check_id, title, area, severity, "accepted" if acceptance else row.status, row.reason,
                   row.affected_count, row.status_since, new and acceptance is None, acceptance,
                   counted=row.scored_severity is not None)


def _sort_key(f: Finding) -> tuple[int, int, str]:
    return _STATUS_ORDER.get(f.status, 9), _SEVERITY_ORDER.get(f.severity, 9), f.title.casefold()


def customer_posture(uow: UnitOfWork, customer_id: uuid.UUID, *, today: dt.date, trend_days: int = 90,
                     scans: int = 20, now: dt.datetime | None = None) -> CustomerPosture:
    """The customer's page. Raises ``NotFound`` outside the caller's scope."""
    customer = _customer(uow, customer_id)
    rows = list(uow.session.scalars(select(LatestResult).where(LatestResult.customer_id == customer_id)))
    accepted = standing_acceptances(uow, customer_id, now=now or dt.datetime.now(dt.UTC))
    findings = sorted((_finding(r, accepted) for r in rows), key=_sort_key)
    areas: dict[str, list[Finding]] = {}
    for finding in findings:
        areas.setdefault(finding.area, []).append(finding)
    area_scores = [
        AreaScore(area, score_of((Severity(f.severity), _SCORED[f.status]) for f in items
                                 if f.status in _SCORED and f.counted),
                  sum(f.status == "fail" and f.counted for f in items), sum(f.counted for f in items))
        for area, items in sorted(areas.items())]
    history = score_history(uow, customer_id, since=today - dt.timedelta(days=trend_days - 1))
    return CustomerPosture(
        customer_id=customer.id, msp_id=customer.msp_id, name=customer.name, tenant_id=customer.tenant_id,
        default_domain=customer.default_domain, connection_state=ConnectionState(customer.connection_state),
        connection_reason=customer.connection_reason, missing_permissions=tuple(customer.missing_permissions or ()),
        access_tier=AccessTier(customer.access_tier), tags=tuple(customer.tags or ()),
        score=customer.score, grade=customer.grade, coverage=customer.coverage, scored_at=customer.scored_at,
        areas=area_scores, findings=findings, trend=[(h.day, h.score) for h in history],
        scans=recent_scans(uow, customer_id, limit=scans), break_glass_ids=tuple(customer.break_glass_ids or ()),
        break_glass_candidates=_break_glass_candidates(uow, rows),
        awaiting_break_glass=sum(f.reason == BREAK_GLASS_UNCONFIRMED for f in findings),
        baseline_name=customer.baseline_name)


def _break_glass_candidates(uow: UnitOfWork, rows: list[LatestResult]) -> tuple[str, ...]:
    """The accounts a check waiting for break-glass confirmation named (its affected objects)."""
    waiting = next((r for r in rows if r.reason == BREAK_GLASS_UNCONFIRMED), None)
    if waiting is None:
        return ()
    affected = uow.session.scalar(select(CheckResultRow.affected).where(CheckResultRow.scan_id == waiting.scan_id,
                                                                        CheckResultRow.check_id == waiting.check_id))
    return tuple(str(a) for a in affected or ())


def finding_detail(uow: UnitOfWork, customer_id: uuid.UUID, check_id: str) -> FindingDetail:
    """One check's latest verdict for the customer, its evidence and its history.

    Raises:
        NotFound: no such customer in scope, or the customer has no verdict for that check.
    """
    _customer(uow, customer_id)
    row = uow.session.get(LatestResult, (customer_id, check_id))
    if row is None:
        raise NotFound(f"no finding {check_id} for customer {customer_id}")
    finding = _finding(row, standing_acceptances(uow, customer_id, now=dt.datetime.now(dt.UTC)))
    latest = uow.session.scalars(select(CheckResultRow).where(CheckResultRow.scan_id == row.scan_id,
                                                              CheckResultRow.check_id == check_id)).first()
    history = uow.session.execute(
        select(Scan.started_at, CheckResultRow.status, CheckResultRow.reason)
        .join(Scan, Scan.id == CheckResultRow.scan_id)
        .where(CheckResultRow.customer_id == customer_id, CheckResultRow.check_id == check_id)
        .order_by(Scan.started_at.desc()).limit(HISTORY_LIMIT)).all()
    meta = _catalogue().get(check_id)
    return FindingDetail(
        finding=finding, rationale=meta.rationale if meta else "", remediation=meta.remediation if meta else "",
        references=tuple(meta.references) if meta else (), decision=meta.decision if meta else None,
        evidence=dict(latest.evidence or {}) if latest else {},
        affected=list(latest.affected or []) if latest else [],
        history=[(h.started_at, h.status, h.reason) for h in history])
