"""Reports: the executive PDF of one scan (and, from it, the fleet report and the email summary).

- ``_content``: pure: :func:`build_report` turns one scan's verdicts and its context (trend, previous
  report, accepted risks, baseline, environment) into an :class:`ExecutiveReport`.
- ``_impact``: what an area means for the business, licence names, target days by severity.
- ``_render``: Jinja2 templates (``templates/reports``) to PDF with WeasyPrint, fetching nothing.
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
from portal.services.reports._render import TEMPLATES_DIR, render_html, render_pdf
from scanner import SEVERITY_WEIGHTS

__all__ = ["AFFECTED_CAP", "TEMPLATES_DIR", "AcceptedRisk", "AreaLine", "ExecutiveReport", "ReportCheck",
           "ReportInputs", "ScannedCheck", "build_report", "executive_html", "executive_pdf", "inputs_from_result",
           "render_html", "render_pdf", "status_in_words"]


def executive_html(report: ExecutiveReport) -> str:
    return render_html("reports/executive.html", r=report, weights=SEVERITY_WEIGHTS)


def executive_pdf(report: ExecutiveReport) -> bytes:
    """The executive report as PDF bytes."""
    return render_pdf("reports/executive.html", r=report, weights=SEVERITY_WEIGHTS)
