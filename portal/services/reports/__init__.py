"""Reports: the executive PDF of one scan (and, from it, the fleet report and the email summary).

- ``_content``: pure: :func:`build_report` turns one scan's verdicts and its context (trend, previous
  report, accepted risks, baseline, environment) into an :class:`ExecutiveReport`.
- ``_impact``: what an area means for the business, licence names, target days by severity.
- ``_render``: Jinja2 templates (``templates/reports``) to PDF with WeasyPrint, fetching nothing.
- ``_stored``: versions of a customer's report, requested by people, rendered by a worker from the
  stored scan, downloaded by anyone in scope.
- ``_fleet``: the MSP's fleet report across all (or tagged) customers.
"""

from portal.services.reports._content import (
    AFFECTED_CAP,
    AcceptedRisk,
    AreaLine,
    ExecutiveReport,
    ReportCheck,
    ReportInputs,
    ScannedCheck,
    build_report,
    inputs_from_result,
    status_in_words,
)
from portal.services.reports._fleet import FleetReport, build_fleet_report, request_fleet_report
from portal.services.reports._render import TEMPLATES_DIR, render_html, render_pdf
from portal.services.reports._stored import (
    MAX_NOTE,
    ReportQueue,
    ReportView,
    fleet_reports,
    latest_reportable_scan,
    render_stored_report,
    report_content,
    report_pdf,
    reports_of,
    request_report,
)
from scanner import SEVERITY_WEIGHTS

__all__ = [
    "AFFECTED_CAP",
    "MAX_NOTE",
    "TEMPLATES_DIR",
    "AcceptedRisk",
    "AreaLine",
    "ExecutiveReport",
    "FleetReport",
    "ReportCheck",
    "ReportInputs",
    "ReportQueue",
    "ReportView",
    "ScannedCheck",
    "build_fleet_report",
    "build_report",
    "executive_pdf",
    "fleet_reports",
    "inputs_from_result",
    "latest_reportable_scan",
    "render_html",
    "render_pdf",
    "render_stored_report",
    "report_content",
    "report_pdf",
    "reports_of",
    "request_fleet_report",
    "request_report",
    "status_in_words",
]


def executive_pdf(report: ExecutiveReport) -> bytes:
    """The executive report as PDF bytes."""
    return render_pdf("reports/executive.html", r=report, weights=SEVERITY_WEIGHTS)
