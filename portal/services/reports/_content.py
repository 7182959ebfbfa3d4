"""The executive report's content, built from one scan's verdicts: pure data, no database, no HTML.

The portal builds it from a stored scan (``_stored``), ``posture scan --format pdf`` from the scan it
just ran; both come through :func:`build_report`, so the two reports cannot disagree.

Decisions:
- The score is the effective one: a check the customer's baseline leaves out does not count, and an
  accepted failure counts neither as a failure nor in the plan; it appears under "Accepted risks".
- Target dates run from the scan, not from the day the report is issued: a report issued a week
  late does not grant a week's grace.
- "New" and "fixed" compare this scan with the scan of the previous report (``previous``); with no
  previous report there is nothing to compare and the report says so.
- Long lists of affected objects are capped at ``AFFECTED_CAP`` with the remainder counted, pointing
  to the CSV export: a 40,000-user tenant's report stays a report.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from portal.services.branding import Brand
from portal.services.reports._impact import LICENCES, TARGET_DAYS, impact_of
from scanner import CheckMeta, ScanResult, Severity, Status, catalogue, grade, score_of

__all__ = ["AFFECTED_CAP", "AcceptedRisk", "AreaLine", "ExecutiveReport", "ReportCheck", "ReportInputs",
           "ScannedCheck", "build_report", "catalogue_meta", "inputs_from_result", "status_in_words"]

AFFECTED_CAP = 10
TOP_RISKS = 5
_SEVERITY_ORDER = {s: i for i, s in enumerate(("critical", "high", "medium", "low", "info"))}


@functools.cache
def _catalogue() -> dict[str, CheckMeta]:
    return {check.id: check.meta for check in catalogue()}


def catalogue_meta(check_id: str) -> CheckMeta | None:
    """The catalogue's metadata of a check (None: a check the catalogue no longer has)."""
    return _catalogue().get(check_id)


@dataclass(frozen=True)
class ScannedCheck:
    """One check's verdict as the scan recorded it."""

    check_id: str
    status: str
    severity: str
    reason: str | None = None
    affected: tuple[str, ...] = ()


@dataclass(frozen=True)
class AcceptedRisk:
    check_id: str
    title: str
    severity: str
    reason: str
    accepted_by: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class ReportInputs:
    """Everything a report is made of. ``scored_severity`` is the baseline's word per check (None: not
    counted); ``None`` as a whole means the whole catalogue at its own severities."""

    customer_name: str
    scan_started: dt.datetime
    checks: Sequence[ScannedCheck]
    brand: Brand
    issued_on: dt.date
    tenant_id: str | None = None
    default_domain: str | None = None
    scan_status: str = "completed"
    connection_state: str = "connected"
    environment: Mapping[str, Any] = field(default_factory=dict)
    trend: Sequence[tuple[dt.date, float | None]] = ()
    previous: Sequence[ScannedCheck] | None = None
    previous_score: float | None = None
    previous_on: dt.date | None = None
    acceptances: Mapping[str, AcceptedRisk] = field(default_factory=dict)
    scored_severity: Mapping[str, str | None] | None = None
    baseline_name: str | None = None
    note: str = ""
    version: int = 1


@dataclass(frozen=True)
class ReportCheck:
    check_id: str
    title: str
    area: str
    severity: str
    status: str
    reason: str | None
    rationale: str
    remediation: str
    references: tuple[str, ...]
    affected: tuple[str, ...]  # capped at AFFECTED_CAP
    affected_count: int
    impact: str
    target: dt.date | None = None
    licence: str | None = None  # the product a not-applicable check needs

    @property
    def affected_hidden(self) -> int:
        return self.affected_count - len(self.affected)


@dataclass(frozen=True)
class AreaLine:
    area: str
    score: float | None
    passing: int
    failing: int
    counted: int


@dataclass(frozen=True)
class ExecutiveReport:
    brand: Brand
    customer_name: str
    tenant_id: str | None
    default_domain: str | None
    scanned_at: dt.datetime
    issued_on: dt.date
    version: int
    scan_status: str
    connection_state: str
    score: float | None
    grade: str | None
    status_words: str
    change: float | None
    previous_on: dt.date | None
    open_critical: int
    open_high: int
    new_failures: tuple[ReportCheck, ...] | None  # None: no previous report to compare with
    fixed: tuple[ReportCheck, ...] | None
    coverage: float | None
    data_age_days: int
    note: str
    trend: tuple[tuple[dt.date, float | None], ...]
    trend_start: dt.date
    top_risks: tuple[ReportCheck, ...]
    plan: tuple[ReportCheck, ...]
    needs_licence: tuple[ReportCheck, ...]
    accepted: tuple[AcceptedRisk, ...]
    areas: tuple[AreaLine, ...]
    baseline_name: str | None
    baseline_checks: int
    baseline_passing: int
    environment: Mapping[str, Any]
    failed: tuple[ReportCheck, ...]
    errors: tuple[ReportCheck, ...]
    counts: Mapping[str, int]

    @property
    def alignment(self) -> float | None:
        return self.baseline_passing / self.baseline_checks if self.baseline_checks else None


def status_in_words(score: float | None, open_critical: int, connection_state: str) -> str:
    """The overall status as a sentence leadership can repeat."""
    if connection_state == "disconnected":
        return "Not monitored: the connection to the tenant is lost, so these results may be out of date."
    if score is None:
        return "Not yet assessed: the scan could not evaluate enough checks to give a score."
    if open_critical:
        return (f"At risk: {open_critical} critical issue{'s' if open_critical != 1 else ''} "
                "need{} attention now.".format("" if open_critical != 1 else "s"))
    if score >= 90:
        return "Strong: the tenant meets nearly every recommended control."
    if score >= 75:
        return "Good, with gaps: most controls are in place; the plan below closes the rest."
    if score >= 50:
        return "Needs attention: important controls are missing."
    return "At risk: many recommended controls are missing."


def _report_check(check: ScannedCheck, severity: str, scanned_on: dt.date) -> ReportCheck:
    meta = _catalogue().get(check.check_id)
    title, area = (meta.title, meta.area) if meta else (check.check_id, "Retired checks")
    days = TARGET_DAYS.get(severity)
    target = scanned_on + dt.timedelta(days=days) if check.status == Status.FAIL.value and days else None
    licence = LICENCES.get(check.reason or "") if check.status == Status.NOT_APPLICABLE.value else None
    return ReportCheck(
        check_id=check.check_id, title=title, area=area, severity=severity, status=check.status,
        reason=check.reason, rationale=meta.rationale if meta else "", remediation=meta.remediation if meta else "",
        references=tuple(meta.references) if meta else (), affected=tuple(check.affected[:AFFECTED_CAP]),
        affected_count=len(check.affected), impact=impact_of(area), target=target, licence=licence)


def _order(c: ReportCheck) -> tuple[int, int, str]:
    return _SEVERITY_ORDER.get(c.severity, 9), -c.affected_count, c.title.casefold()


def _failing_ids(checks: Sequence[ScannedCheck]) -> set[str]:
    return {c.check_id for c in checks if c.status == Status.FAIL.value}


def build_report(inputs: ReportInputs) -> ExecutiveReport:
    """The report of one scan (see the module's decisions)."""
    scanned_on = inputs.scan_started.date()
    weights = inputs.scored_severity

    def severity_of(c: ScannedCheck) -> str | None:
        return c.severity if weights is None else weights.get(c.check_id, c.severity)

    counted = [(c, sev) for c in inputs.checks if (sev := severity_of(c)) is not None]
    accepted_ids = {c.check_id for c, _ in counted
                    if c.status == Status.FAIL.value and c.check_id in inputs.acceptances}
    views = {c.check_id: _report_check(c, sev, scanned_on) for c, sev in counted}
    failing = sorted((views[c.check_id] for c, _ in counted
                      if c.status == Status.FAIL.value and c.check_id not in accepted_ids), key=_order)
    value = score_of((Severity(sev), Status(c.status)) for c, sev in counted
                     if c.check_id not in accepted_ids and c.status in _SCORED)
    evaluated = [c for c, _ in counted if c.status in (Status.PASS.value, Status.FAIL.value)]
    applicable = [c for c, _ in counted if c.status != Status.NOT_APPLICABLE.value]
    open_critical = sum(c.severity == "critical" for c in failing)

    new_failures = fixed = None
    if inputs.previous is not None:
        before, now = _failing_ids(inputs.previous), {c.check_id for c in failing}
        new_failures = tuple(views[i] for i in sorted(now - before, key=lambda i: _order(views[i])))
        fixed = tuple(sorted((views[c.check_id] for c, _ in counted
                              if c.status == Status.PASS.value and c.check_id in before), key=_order))

    areas: dict[str, list[ReportCheck]] = {}
    for view in views.values():
        areas.setdefault(view.area, []).append(view)
    area_lines = tuple(
        AreaLine(area, score_of((Severity(v.severity), Status(v.status)) for v in items
                                if v.status in _SCORED and v.check_id not in accepted_ids),
                 sum(v.status == Status.PASS.value for v in items),
                 sum(v.status == Status.FAIL.value and v.check_id not in accepted_ids for v in items), len(items))
        for area, items in sorted(areas.items()))
    trend_start = inputs.issued_on - dt.timedelta(days=89)
    change = None if value is None or inputs.previous_score is None else round(value - inputs.previous_score, 1)
    accepted = tuple(sorted((inputs.acceptances[i] for i in accepted_ids),
                            key=lambda a: (_SEVERITY_ORDER.get(a.severity, 9), a.title.casefold())))
    return ExecutiveReport(
        brand=inputs.brand, customer_name=inputs.customer_name, tenant_id=inputs.tenant_id,
        default_domain=inputs.default_domain, scanned_at=inputs.scan_started, issued_on=inputs.issued_on,
        version=inputs.version, scan_status=inputs.scan_status, connection_state=inputs.connection_state,
        score=value, grade=grade(value), status_words=status_in_words(value, open_critical, inputs.connection_state),
        change=change, previous_on=inputs.previous_on, open_critical=open_critical,
        open_high=sum(c.severity == "high" for c in failing), new_failures=new_failures, fixed=fixed,
        coverage=len(evaluated) / len(applicable) if applicable else None,
        data_age_days=max(0, (inputs.issued_on - scanned_on).days), note=inputs.note,
        trend=tuple((d, s) for d, s in inputs.trend if d >= trend_start), trend_start=trend_start,
        top_risks=tuple(failing[:TOP_RISKS]), plan=tuple(c for c in failing if c.target is not None),
        needs_licence=tuple(sorted((v for v in views.values() if v.licence), key=_order)),
        accepted=accepted, areas=area_lines, baseline_name=inputs.baseline_name,
        baseline_checks=len(evaluated), baseline_passing=sum(c.status == Status.PASS.value for c in evaluated),
        environment=dict(inputs.environment), failed=tuple(failing),
        errors=tuple(sorted((v for v in views.values() if v.status == Status.ERROR.value), key=_order)),
        counts={s: sum(c.status == s for c, _ in counted) for s in ("pass", "fail", "error", "not_applicable")})


_SCORED = {Status.PASS.value, Status.FAIL.value, Status.ERROR.value, Status.NOT_APPLICABLE.value}


def inputs_from_result(result: ScanResult, brand: Brand, *, issued_on: dt.date) -> ReportInputs:
    """A report of a scan that was not stored (``posture scan --format pdf``): no history, no previous
    report, no acceptances, the whole catalogue."""
    checks = [ScannedCheck(c.id, c.status.value, c.meta.severity.value, c.reason, tuple(c.affected))
              for c in result.checks]
    day = result.started_at.date()
    return ReportInputs(
        customer_name=result.tenant.name or result.tenant.default_domain or result.tenant.id,
        tenant_id=result.tenant.id, default_domain=result.tenant.default_domain or None,
        scan_started=result.started_at, scan_status=result.status, checks=checks, brand=brand, issued_on=issued_on,
        environment=result.environment, trend=[(day, score_of(
            (Severity(c.severity), Status(c.status)) for c in checks))])
