"""The assistant's tools: the fleet's questions and three actions, over the same services as the pages.

Each call finds its caller afresh from the personal API token it carries (an expired or revoked token
stops working mid-conversation), records the token's use in the audit trail as an API request does,
and reads in that caller's row-level security scope: a customer viewer's token sees one tenant, an
analyst limited to tags sees those customers. The write tools need a read-write token, the role and
the access tier the same action needs in the portal (``may``), and a service the operator does not
hold; each is audited as the same action in the portal is.

Anticipated refusals are :class:`ToolError` (the model reads the message); "not yours" and "not
there" are one answer, as on the pages.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Annotated, Literal
from urllib.parse import quote, urlencode

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import Field
from sqlalchemy import select

from portal.db.models import ConnectionState, RiskAcceptance
from portal.db.uow import UnitOfWork, unit_of_work
from portal.services.accounts import Action, may, scope_for, token_caller
from portal.services.drift import drift, period_of
from portal.services.errors import InvalidInput, NotFound
from portal.services.fleet import FleetQuery, FleetRow, FleetSort, fleet_figures, fleet_rows
from portal.services.posture import Finding, customer_posture, finding_detail
from portal.services.reports import reports_of
from portal.services.reverify import start_reverify
from portal.services.risks import MAX_DAYS, Acceptance, accept_risk, accepted_risks
from portal.services.scans import ScanRefused, request_scan
from portal.services.search import MAX_QUERY, SearchSyntaxError, search
from portal.web.assistant.schemas import (
    AcceptanceOut,
    AcceptedRiskLine,
    AcceptedRisksOut,
    AreaOut,
    ChangeOut,
    CheckChangesOut,
    CustomerLine,
    CustomerRef,
    CustomersOut,
    DriftOut,
    FindingDetailOut,
    FindingLine,
    FleetSummaryOut,
    HistoryStep,
    PostureOut,
    ReportOut,
    ReverifyOut,
    RiskAcceptedOut,
    ScanOut,
    ScanStartedOut,
    SearchCustomer,
    SearchFindingsOut,
    SearchHitOut,
)
from portal.web.callers import Caller, audit_as
from portal.web.customers.pages import customer_header
from portal.web.runtime import WebRuntime
from portal.web.service_hold import held_reason

__all__ = ["READ_TOOLS", "WRITE_TOOLS", "TokenOf", "add_tools"]

#: How a call's token is found: the HTTP request's ``Authorization: Bearer``, or the one ``posture mcp`` got.
TokenOf = Callable[[Context], str | None]

READ_TOOLS = ("fleet_summary", "find_customers", "search_findings", "customer_posture", "finding_detail",
              "drift_since", "accepted_risks", "latest_report")
WRITE_TOOLS = ("reverify_search", "start_scan", "accept_risk")

_NOT_FOUND = "no such customer, or not one this token can see"
_READ = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
_WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False)

CustomerId = Annotated[uuid.UUID, Field(description="A customer's id, as find_customers and the other tools give it")]
CheckId = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[a-z0-9_.]+$",
                               description="A check's id, as findings give it (e.g. exo.smtp_auth.org_disabled)")]
Page = Annotated[int, Field(ge=1, le=10_000, description="The page to read, from 1")]
Status = Literal["pass", "fail", "not_applicable", "error", "accepted"]
Severity = Literal["critical", "high", "medium", "low", "info"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _pages(total: int, size: int) -> int:
    return max(1, -(-total // size))


class _Tools:
    """The tools of one server: the portal's runtime, where a call's token is, and where calls come in."""

    def __init__(self, web: WebRuntime, token_of: TokenOf, endpoint: str) -> None:
        self.web, self.token_of, self.endpoint = web, token_of, endpoint
        self.base = web.public_url.rstrip("/")

    # -- the caller ---------------------------------------------------------------------------------

    def caller(self, ctx: Context, tool: str) -> Caller:
        """The token's user and membership, its use audited; a ToolError when the token no longer works."""
        token = self.token_of(ctx)
        found = token_caller(self.web.engine, token) if token else None
        if found is None:
            raise ToolError("this API token is unknown, expired or revoked: make a new one in the portal under "
                            "Account, API tokens")
        caller = Caller(found.user_id, found.email, found.display_name, found.membership, found.read_write,
                        found.token_id)
        audit_as(self.web, caller, "api.token_used", f"token:{caller.token_id}",
                 {"method": "MCP", "path": self.endpoint, "tool": tool})
        return caller

    @contextmanager
    def reading(self, ctx: Context, tool: str) -> Iterator[tuple[Caller, UnitOfWork]]:
        caller = self.caller(ctx, tool)
        with self.unit_of_work(caller) as uow:
            yield caller, uow

    def writer(self, ctx: Context, tool: str, customer_ids: list[uuid.UUID]) -> Caller:
        """The caller, when its token may write and the operator holds nothing the action touches."""
        caller = self.caller(ctx, tool)
        if not caller.read_write:
            raise ToolError("this API token is read only: make a read-write token in the portal to let the "
                            "assistant act")
        reason = held_reason(self.web, caller, customer_ids)
        if reason is not None:
            raise ToolError(reason)
        return caller

    def unit_of_work(self, caller: Caller) -> AbstractContextManager[UnitOfWork]:
        scope = scope_for(self.web.engine, caller.membership, email=caller.email, user_id=caller.user_id)
        return unit_of_work(self.web.engine, scope)

    # -- links --------------------------------------------------------------------------------------

    def customer_url(self, customer_id: uuid.UUID) -> str:
        return f"{self.base}/customers/{customer_id}"

    def finding_url(self, customer_id: uuid.UUID, check_id: str) -> str:
        return f"{self.customer_url(customer_id)}/findings/{quote(check_id, safe='')}"

    def line(self, row: FleetRow) -> CustomerLine:
        return CustomerLine(id=row.customer_id, name=row.name, connection_state=row.connection_state,
                            score=row.score, grade=row.grade, open_critical=row.open_critical,
                            open_high=row.open_high, last_scan_at=row.last_scan_at, tags=list(row.tags),
                            url=self.customer_url(row.customer_id))

    # -- read tools ---------------------------------------------------------------------------------

    def fleet_summary(
        self, ctx: Context,
        tag: Annotated[str | None, Field(max_length=100, description="Only customers with this tag")] = None,
        connection: Annotated[ConnectionState | None, Field(description="Only customers in this state")] = None,
        top: Annotated[int, Field(ge=1, le=25, description="Customers in each top list")] = 5,
    ) -> FleetSummaryOut:
        now = _now()
        with self.reading(ctx, "fleet_summary") as (_, uow):
            query = FleetQuery(tag=tag or None, state=connection)
            figures = fleet_figures(uow, query, now=now)
            worst = fleet_rows(uow, FleetQuery(tag=tag or None, state=connection, sort=FleetSort.SCORE,
                                               page_size=top), now=now)
            critical = fleet_rows(uow, FleetQuery(tag=tag or None, state=connection, sort=FleetSort.CRITICAL,
                                                  page_size=top), now=now)
        filters = {k: v for k, v in (("tag", tag), ("state", connection)) if v}
        return FleetSummaryOut(
            customers=figures.customers, average_score=figures.average_score, open_critical=figures.open_critical,
            disconnected=figures.disconnected, stale=figures.stale, tags=figures.tags[:100],
            worst=[self.line(r) for r in worst if r.score is not None],
            most_critical=[self.line(r) for r in critical if r.open_critical],
            url=f"{self.base}/fleet" + (f"?{urlencode(filters)}" if filters else ""))

    def find_customers(
        self, ctx: Context,
        name: Annotated[str, Field(max_length=200, description="Part of the customer's name (any case); "
                                   "empty: every customer")] = "",
        tag: Annotated[str | None, Field(max_length=100, description="Only customers with this tag")] = None,
        sort: Annotated[Literal["name", "score", "critical", "last_scan"],
                        Field(description="name; score (worst first); critical (most first); last_scan "
                              "(oldest first)")] = "name",
        page: Page = 1,
    ) -> CustomersOut:
        size = 25
        query = FleetQuery(search=name.strip(), tag=tag or None, sort=FleetSort(sort), page=page, page_size=size)
        now = _now()
        with self.reading(ctx, "find_customers") as (_, uow):
            total = fleet_figures(uow, query, now=now).customers
            rows = fleet_rows(uow, query, now=now)
        return CustomersOut(total=total, page=page, pages=_pages(total, size), customers=[self.line(r) for r in rows])

    def search_findings(
        self, ctx: Context,
        query: Annotated[str, Field(max_length=MAX_QUERY, description=(
            "The portal's search language, terms combined with spaces (AND): check:ID, ref:REFERENCE (a SCuBA "
            "or CIS id, e.g. ref:MS.EXO.5.1v1), status:pass|fail|not_applicable|error|accepted, "
            "severity:critical|high|medium|low|info, tag:TAG, customer:NAME, evidence.FIELD=VALUE (e.g. "
            "evidence.SmtpClientAuthenticationDisabled=false); other words match check titles"))],
        page: Page = 1,
    ) -> SearchFindingsOut:
        size, per_customer = 20, 10
        try:
            with self.reading(ctx, "search_findings") as (_, uow):
                answer = search(uow, query, now=_now(), page=page, page_size=size)
        except SearchSyntaxError as exc:
            raise ToolError(f"the query does not read: {exc}") from None
        return SearchFindingsOut(
            query=query, total_customers=answer.total_customers, total_findings=answer.total_findings,
            by_status=answer.by_status, page=answer.page, pages=answer.pages,
            customers=[SearchCustomer(
                customer=CustomerRef(id=c.customer_id, name=c.name), score=c.score, grade=c.grade,
                findings=[SearchHitOut(check_id=h.check_id, title=h.title, severity=h.severity, status=h.status,
                                       reason=h.reason, affected_count=h.affected_count, affected=list(h.affected[:5]),
                                       evidence=_compact(h.evidence)) for h in c.hits[:per_customer]],
                more_findings=max(0, len(c.hits) - per_customer), url=self.customer_url(c.customer_id))
                for c in answer.customers])

    def customer_posture(
        self, ctx: Context, customer_id: CustomerId,
        status: Annotated[Status | None, Field(description="Only findings with this status (default: fail)")] = "fail",
        severity: Annotated[Severity | None, Field(description="Only findings of this severity")] = None,
        limit: Annotated[int, Field(ge=1, le=50, description="Findings to list, worst first")] = 10,
    ) -> PostureOut:
        try:
            with self.reading(ctx, "customer_posture") as (_, uow):
                posture = customer_posture(uow, customer_id, today=_now().date(), trend_days=1, scans=1)
        except NotFound:
            raise ToolError(_NOT_FOUND) from None
        matching = [f for f in posture.findings
                    if (status is None or f.status == status) and (severity is None or f.severity == severity)]
        by_status = dict(Counter(f.status for f in posture.findings))
        last = posture.scans[0] if posture.scans else None
        return PostureOut(
            customer=CustomerRef(id=posture.customer_id, name=posture.name), tenant_id=posture.tenant_id,
            default_domain=posture.default_domain, connection_state=posture.connection_state,
            connection_reason=posture.connection_reason, access_tier=posture.access_tier, tags=list(posture.tags),
            score=posture.score, grade=posture.grade, coverage=posture.coverage, scored_at=posture.scored_at,
            by_status=by_status, areas=[AreaOut(area=a.area, score=a.score, failing=a.failing, checks=a.checks)
                                        for a in posture.areas],
            findings=[_finding_line(f) for f in matching[:limit]], findings_matching=len(matching),
            last_scan=None if last is None else ScanOut(id=last.id, status=last.status, trigger=last.trigger,
                                                        queued_at=last.queued_at, finished_at=last.finished_at,
                                                        score=last.score),
            url=self.customer_url(posture.customer_id))

    def finding_detail(self, ctx: Context, customer_id: CustomerId, check_id: CheckId) -> FindingDetailOut:
        try:
            with self.reading(ctx, "finding_detail") as (_, uow):
                header = customer_header(uow, customer_id)
                detail = finding_detail(uow, customer_id, check_id)
        except NotFound:
            raise ToolError("no such finding, or not one this token can see") from None
        acceptance = detail.finding.acceptance
        return FindingDetailOut(
            customer=CustomerRef(id=header.customer_id, name=header.name), finding=_finding_line(detail.finding),
            references=list(detail.references), rationale=detail.rationale, remediation=detail.remediation,
            decision=detail.decision, evidence=detail.evidence, affected=detail.affected[:25],
            acceptance=None if acceptance is None else _acceptance(acceptance),
            history=[HistoryStep(scanned_at=at, status=s, reason=r) for at, s, r in detail.history[:10]],
            url=self.finding_url(customer_id, check_id))

    def drift_since(
        self, ctx: Context,
        since: Annotated[dt.date | None, Field(description="The day to measure from (YYYY-MM-DD, 00:00 UTC); "
                                               "empty: since Monday of this week")] = None,
        customer_id: Annotated[uuid.UUID | None, Field(description="One customer only")] = None,
        limit: Annotated[int, Field(ge=1, le=100, description="Changes to list, newest first")] = 25,
    ) -> DriftOut:
        now = _now()
        try:
            period = period_of("week", since, now)
            with self.reading(ctx, "drift_since") as (_, uow):
                if customer_id is not None:
                    customer_header(uow, customer_id)  # a foreign id: the same answer as one that does not exist
                answer = drift(uow, period, now=now, customer_id=customer_id)
        except NotFound:
            raise ToolError(_NOT_FOUND) from None
        except InvalidInput as exc:
            raise ToolError(str(exc)) from None
        params = {"period": "since", "since": since.isoformat()} if since is not None else {}
        return DriftOut(
            period=period.label, since=period.since, counts=answer.counts, customers=answer.customers,
            changes=[ChangeOut(customer=CustomerRef(id=c.customer_id, name=c.customer_name), check_id=c.check_id,
                               title=c.title, severity=c.severity, kind=c.kind, from_status=c.from_status,
                               to_status=c.to_status, observed_at=c.observed_at, accepted=c.accepted)
                     for c in answer.changes[:limit]],
            total_changes=len(answer.changes), truncated=answer.truncated,
            by_check=[CheckChangesOut(check_id=b.check_id, title=b.title, severity=b.severity, new=b.new,
                                      regressed=b.regressed, fixed=b.fixed) for b in answer.by_check[:10]],
            url=(f"{self.customer_url(customer_id)}/changes" if customer_id else f"{self.base}/changes")
            + (f"?{urlencode(params)}" if params else ""))

    def accepted_risks(
        self, ctx: Context,
        customer_id: Annotated[uuid.UUID | None, Field(description="One customer only")] = None,
        page: Page = 1,
    ) -> AcceptedRisksOut:
        size = 25
        try:
            with self.reading(ctx, "accepted_risks") as (_, uow):
                if customer_id is not None:
                    customer_header(uow, customer_id)
                found = accepted_risks(uow, now=_now(), customer_id=customer_id, limit=size, offset=(page - 1) * size)
        except NotFound:
            raise ToolError(_NOT_FOUND) from None
        return AcceptedRisksOut(total=found.total, page=page, pages=_pages(found.total, size), risks=[
            AcceptedRiskLine(customer=CustomerRef(id=cid, name=name), check_id=a.check_id, acceptance=_acceptance(a))
            for cid, name, a in found.items])

    def latest_report(self, ctx: Context, customer_id: CustomerId) -> ReportOut:
        try:
            with self.reading(ctx, "latest_report") as (_, uow):
                header = customer_header(uow, customer_id)
                reports = reports_of(uow, customer_id, limit=50)
        except NotFound:
            raise ToolError(_NOT_FOUND) from None
        customer = CustomerRef(id=header.customer_id, name=header.name)
        report = next((r for r in reports if r.status == "ready"), reports[0] if reports else None)
        if report is None:
            return ReportOut(customer=customer, report_id=None, status=None, version=None, requested_at=None,
                             rendered_at=None, score=None, grade=None, pages=None, download_url=None, portal_url=None,
                             message="this customer has no report yet: one is made from its page in the portal")
        ready = report.status == "ready"
        return ReportOut(
            customer=customer, report_id=report.id, status=report.status, version=report.version,
            requested_at=report.requested_at, rendered_at=report.rendered_at, score=report.score, grade=report.grade,
            pages=report.pages,
            download_url=f"{self.base}/api/v1/reports/{report.id}/pdf" if ready else None,
            portal_url=f"{self.customer_url(customer_id)}/reports/{report.id}/pdf" if ready else None,
            message="ready" if ready else f"the latest report is {report.status}; none is ready yet")

    # -- write tools --------------------------------------------------------------------------------

    def reverify_search(
        self, ctx: Context,
        query: Annotated[str, Field(min_length=1, max_length=MAX_QUERY, description=(
            "A search_findings query: each tenant it names is scanned again for the checks it matched"))],
    ) -> ReverifyOut:
        caller = self.writer(ctx, "reverify_search", [])
        if not caller.membership.is_msp_staff:
            raise ToolError("re-verifying a search is for MSP staff: a customer's own people scan from its page")
        if self.web.scan_group is None:
            raise ToolError("this portal has no queue to send scans to")
        try:
            with self.unit_of_work(caller) as uow:
                started = start_reverify(uow, caller.membership, actor=caller.email, query=query, now=_now(),
                                         send=self.web.scan_group)
        except SearchSyntaxError as exc:
            raise ToolError(f"the query does not read: {exc}") from None
        except InvalidInput as exc:
            raise ToolError(str(exc)) from None
        audit_as(self.web, caller, "search.reverified", f"reverify:{started.run_id}",
                 {"query": query, "tenants": started.tenants, "skipped": started.skipped,
                  "checks": list(started.check_ids), "via": "assistant"})
        return ReverifyOut(run_id=started.run_id, tenants=started.tenants, skipped=started.skipped,
                           check_ids=list(started.check_ids),
                           url=f"{self.base}/search?{urlencode({'q': query, 'reverify': str(started.run_id)})}")

    def start_scan(self, ctx: Context, customer_id: CustomerId) -> ScanStartedOut:
        caller = self.writer(ctx, "start_scan", [customer_id])
        header = self._customer_for(caller, customer_id, Action.START_SCAN, "starting scans")
        if self.web.scan_queue is None:
            raise ToolError("this portal has no queue to send scans to")
        try:
            with self.unit_of_work(caller) as uow:
                scan = request_scan(uow, customer_id, queue=self.web.scan_queue, now=_now())
                scan_id, status = scan.id, scan.status
        except NotFound:
            raise ToolError(_NOT_FOUND) from None
        except ScanRefused as exc:
            raise ToolError(str(exc) + (f" (scan {exc.active_scan})" if exc.active_scan else "")) from None
        audit_as(self.web, caller, "scan.started_by_hand", f"scan:{scan_id}",
                 {"customer": str(customer_id), "via": "assistant"})
        return ScanStartedOut(customer=CustomerRef(id=customer_id, name=header.name), scan_id=scan_id,
                              status=status, url=f"{self.customer_url(customer_id)}?scan={scan_id}")

    def accept_risk(
        self, ctx: Context, customer_id: CustomerId, check_id: CheckId,
        reason: Annotated[str, Field(min_length=3, max_length=2000, description="Why the tenant lives with it: "
                                     "kept in the audit trail and shown on the finding")],
        expires_on: Annotated[dt.date, Field(description=f"The last day it is accepted (YYYY-MM-DD), at most "
                                             f"{MAX_DAYS} days ahead; then someone must look again")],
    ) -> RiskAcceptedOut:
        caller = self.writer(ctx, "accept_risk", [customer_id])
        header = self._customer_for(caller, customer_id, Action.ACCEPT_RISK, "accepting risks")
        try:
            with self.unit_of_work(caller) as uow:
                acceptance_id = accept_risk(uow, customer_id, check_id, reason=reason, expires_on=expires_on,
                                            now=_now())
                expires_at = uow.session.scalar(select(RiskAcceptance.expires_at)
                                                .where(RiskAcceptance.id == acceptance_id))
        except NotFound:
            raise ToolError("no such failing finding, or not one this token can see") from None
        except InvalidInput as exc:
            raise ToolError(str(exc)) from None
        if self.web.rescore_queue is not None:
            self.web.rescore_queue(msp_id=caller.membership.msp_id, customer_id=customer_id)
        return RiskAcceptedOut(customer=CustomerRef(id=customer_id, name=header.name), check_id=check_id,
                               acceptance_id=acceptance_id, expires_at=expires_at,
                               url=self.finding_url(customer_id, check_id))

    def _customer_for(self, caller: Caller, customer_id: uuid.UUID, action: Action, doing: str) -> CustomerRef:
        try:
            with self.unit_of_work(caller) as uow:
                header = customer_header(uow, customer_id)
        except NotFound:
            raise ToolError(_NOT_FOUND) from None
        if not may(caller.membership, action, header.access):
            raise ToolError(f"your role, or the MSP's access tier for this customer, does not allow {doing}")
        return CustomerRef(id=header.customer_id, name=header.name)


#: Evidence longer than this, as JSON, is left out of search answers (finding_detail gives it whole).
EVIDENCE_IN_SEARCH = 2000


def _compact(evidence: dict[str, object]) -> dict[str, object]:
    size = len(json.dumps(evidence, default=str))
    if size <= EVIDENCE_IN_SEARCH:
        return evidence
    return {"left_out": f"{size} characters of evidence: finding_detail gives it whole"}


def _finding_line(f: Finding) -> FindingLine:
    return FindingLine(check_id=f.check_id, title=f.title, area=f.area, severity=f.severity, status=f.status,
                       reason=f.reason, affected_count=f.affected_count, since=f.status_since, new=f.new)


def _acceptance(a: Acceptance) -> AcceptanceOut:
    return AcceptanceOut(id=a.id, reason=a.reason, expires_at=a.expires_at, accepted_by=a.accepted_by,
                         accepted_at=a.accepted_at)


_DESCRIPTIONS = {
    "fleet_summary": "The fleet at a glance: how many customers, the average score, open critical findings, "
                     "customers disconnected or not scanned lately, and the worst customers. Start here.",
    "find_customers": "Find customers by part of their name or by tag, to get the customer_id the other tools "
                      "take. Pages of 25.",
    "search_findings": "Search every customer's latest findings at once with the portal's query language (e.g. "
                       "'check:exo.smtp_auth.org_disabled status:fail' for who still allows SMTP AUTH). Pages of "
                       "20 customers, 10 findings each.",
    "customer_posture": "One customer's posture: score, grade, coverage, score by area, counts by status, its "
                        "worst findings (failing by default) and its last scan.",
    "finding_detail": "One finding of one customer in full: what was found, the objects at fault, why it matters, "
                      "how to fix it, the evidence and its recent history.",
    "drift_since": "What changed: findings that are new, regressed or fixed since a date (default: this week), "
                   "across the fleet or for one customer.",
    "accepted_risks": "The risks accepted and in force, with who accepted them, why, and until when; soonest to "
                      "expire first.",
    "latest_report": "A customer's latest executive report (PDF): its state and the links to download it.",
    "reverify_search": "Scan again, now, every tenant a search names, for the checks it matched (MSP staff; needs "
                       "a read-write token). Audited.",
    "start_scan": "Start a full scan of one customer's tenant now (needs a read-write token and a role and tier "
                  "that allow scans). Audited.",
    "accept_risk": "Accept one failing finding of a customer as a risk, with a reason and a last day (needs a "
                   "read-write token; customer admins and MSP staff from the Operate tier). Audited.",
}


def add_tools(server: MCPServer, web: WebRuntime, token_of: TokenOf, *, endpoint: str) -> None:
    """Register every tool on ``server``; ``endpoint`` names the transport in the audit trail."""
    tools = _Tools(web, token_of, endpoint)
    for name in READ_TOOLS + WRITE_TOOLS:
        server.add_tool(getattr(tools, name), name=name, description=_DESCRIPTIONS[name],
                        annotations=_READ if name in READ_TOOLS else _WRITE, structured_output=True)
