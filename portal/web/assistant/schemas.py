"""What the assistant's tools answer: compact, typed results a model can read and follow up on.

Every list is capped and says how many there are in all, so a model asks for the next page or a
narrower question instead of receiving 10,000 rows; every customer, finding, scan and report carries
the id the other tools take, and a ``url`` where a person can open it in the portal.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, Field

__all__ = [
    "AcceptanceOut",
    "AcceptedRiskLine",
    "AcceptedRisksOut",
    "AreaOut",
    "ChangeOut",
    "CheckChangesOut",
    "CustomerLine",
    "CustomerRef",
    "CustomersOut",
    "DriftOut",
    "FindingDetailOut",
    "FindingLine",
    "FleetSummaryOut",
    "HistoryStep",
    "PostureOut",
    "ReportOut",
    "ReverifyOut",
    "RiskAcceptedOut",
    "ScanOut",
    "ScanStartedOut",
    "SearchCustomer",
    "SearchFindingsOut",
    "SearchHitOut",
]


class CustomerRef(BaseModel):
    id: uuid.UUID = Field(description="The customer's id: what customer_id takes in the other tools")
    name: str


class CustomerLine(BaseModel):
    """One customer in a list."""

    id: uuid.UUID
    name: str
    connection_state: str = Field(description="connected, pending, consent_revoked, missing_permissions, ...")
    score: float | None = Field(description="0 to 100; null before the first scored scan")
    grade: str | None
    open_critical: int = Field(description="Failing critical checks (accepted risks not counted)")
    open_high: int
    last_scan_at: dt.datetime | None
    tags: list[str]
    url: str = Field(description="The customer's page in the portal")


class FleetSummaryOut(BaseModel):
    customers: int = Field(description="Customers the caller sees (matching the filters)")
    average_score: float | None
    open_critical: int = Field(description="Failing critical checks across those customers")
    disconnected: int = Field(description="Customers whose connection is not working")
    stale: int = Field(description="Customers with no scored scan within twice their scan interval")
    tags: list[str] = Field(description="Every tag in the visible fleet, for the tag filter")
    worst: list[CustomerLine] = Field(description="The lowest scores first")
    most_critical: list[CustomerLine] = Field(description="The most open critical findings first")
    url: str


class CustomersOut(BaseModel):
    total: int
    page: int
    pages: int
    customers: list[CustomerLine]


class SearchHitOut(BaseModel):
    check_id: str
    title: str
    severity: str
    status: str = Field(description="pass, fail, not_applicable, error, or accepted (a failure accepted as a risk)")
    reason: str | None
    affected_count: int
    affected: list[str] = Field(description="The first objects at fault (affected_count says how many in all)")
    evidence: dict[str, Any] = Field(description="What the check read, as the scanner recorded it (left out when "
                                     "long: finding_detail gives it whole)")


class SearchCustomer(BaseModel):
    customer: CustomerRef
    score: float | None
    grade: str | None
    findings: list[SearchHitOut]
    more_findings: int = Field(description="Matching findings of this customer not listed here")
    url: str


class SearchFindingsOut(BaseModel):
    query: str
    total_customers: int
    total_findings: int
    by_status: dict[str, int] = Field(description="Matching findings per status, over every page")
    page: int
    pages: int
    customers: list[SearchCustomer]


class AreaOut(BaseModel):
    area: str
    score: float | None
    failing: int
    checks: int


class FindingLine(BaseModel):
    check_id: str = Field(description="What check_id takes in finding_detail and accept_risk")
    title: str
    area: str
    severity: str
    status: str
    reason: str | None
    affected_count: int
    since: dt.datetime = Field(description="When the check last changed to this status")
    new: bool = Field(description="Started failing at the last scan")


class ScanOut(BaseModel):
    id: uuid.UUID
    status: str
    trigger: str
    queued_at: dt.datetime
    finished_at: dt.datetime | None
    score: float | None


class PostureOut(BaseModel):
    customer: CustomerRef
    tenant_id: str | None
    default_domain: str | None
    connection_state: str
    connection_reason: str | None
    access_tier: str = Field(description="The MSP's access tier for this customer: monitor, operate or manage")
    tags: list[str]
    score: float | None
    grade: str | None
    coverage: float | None = Field(description="Share of the checks that could be evaluated")
    scored_at: dt.datetime | None
    by_status: dict[str, int]
    areas: list[AreaOut]
    findings: list[FindingLine] = Field(description="The findings asked for, worst first")
    findings_matching: int = Field(description="Findings matching the filters, of which the first are listed")
    last_scan: ScanOut | None
    url: str


class AcceptanceOut(BaseModel):
    id: uuid.UUID
    reason: str
    expires_at: dt.datetime
    accepted_by: str
    accepted_at: dt.datetime


class HistoryStep(BaseModel):
    scanned_at: dt.datetime
    status: str
    reason: str | None


class FindingDetailOut(BaseModel):
    customer: CustomerRef
    finding: FindingLine
    references: list[str] = Field(description="CISA SCuBA and CIS ids")
    rationale: str = Field(description="Why it matters")
    remediation: str = Field(description="How to fix it")
    decision: str | None = Field(description="How the verdict was reached")
    evidence: dict[str, Any]
    affected: list[str]
    acceptance: AcceptanceOut | None = Field(description="The standing acceptance, when the risk is accepted")
    history: list[HistoryStep] = Field(description="The latest verdicts, newest first")
    url: str


class ChangeOut(BaseModel):
    customer: CustomerRef
    check_id: str
    title: str
    severity: str
    kind: str = Field(description="new (a new failure), regressed (failing again) or fixed")
    from_status: str | None
    to_status: str
    observed_at: dt.datetime
    accepted: bool = Field(description="Failing, but a standing acceptance covers it")


class CheckChangesOut(BaseModel):
    check_id: str
    title: str
    severity: str
    new: int
    regressed: int
    fixed: int


class DriftOut(BaseModel):
    period: str
    since: dt.datetime | None
    counts: dict[str, int] = Field(description="new, regressed and fixed findings in all")
    customers: int = Field(description="Customers with a change")
    changes: list[ChangeOut] = Field(description="Newest first")
    total_changes: int
    truncated: bool = Field(description="The period holds more changes than are read at once: ask for a shorter "
                            "one, or for one customer")
    by_check: list[CheckChangesOut] = Field(description="The checks that changed most")
    url: str


class AcceptedRiskLine(BaseModel):
    customer: CustomerRef
    check_id: str
    acceptance: AcceptanceOut


class AcceptedRisksOut(BaseModel):
    total: int
    page: int
    pages: int
    risks: list[AcceptedRiskLine] = Field(description="Soonest to expire first")


class ReportOut(BaseModel):
    customer: CustomerRef
    report_id: uuid.UUID | None = Field(description="Null when the customer has no report yet")
    status: str | None = Field(description="queued, rendering, ready or failed")
    version: int | None
    requested_at: dt.datetime | None
    rendered_at: dt.datetime | None
    score: float | None
    grade: str | None
    pages: int | None
    download_url: str | None = Field(description="The PDF through the API (the same bearer token opens it)")
    portal_url: str | None = Field(description="The PDF in the portal, for a signed-in person")
    message: str


class ReverifyOut(BaseModel):
    run_id: uuid.UUID
    tenants: int = Field(description="Tenants whose matching checks are being scanned again")
    skipped: int = Field(description="Tenants named by the search that cannot be scanned now")
    check_ids: list[str]
    url: str = Field(description="The search page, where the progress shows")


class ScanStartedOut(BaseModel):
    customer: CustomerRef
    scan_id: uuid.UUID
    status: str
    url: str


class RiskAcceptedOut(BaseModel):
    customer: CustomerRef
    check_id: str
    acceptance_id: uuid.UUID
    expires_at: dt.datetime
    url: str
