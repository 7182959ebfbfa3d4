"""OCSF Compliance Finding events (class 2003, category Findings) for SIEMs.

One event per check result. ``compliance.status_id`` follows OCSF: 1 Pass, 3 Fail, 99 Other (with
``status`` "Not Applicable" or "Error" and ``status_detail`` carrying our reason), so a SIEM rule
on status_id 3 sees real failures only. ``compliance.standards`` lists the frameworks a check's
references belong to (CISA SCuBA, CIS Microsoft 365 Foundations).
"""

from __future__ import annotations

from typing import Any

from scanner._result import CheckResult, ScanResult
from scanner.checks._model import Severity, Status

__all__ = ["OCSF_VERSION", "ocsf_findings"]

OCSF_VERSION = "1.3.0"
_CLASS_UID = 2003
_CATEGORY_UID = 2
_ACTIVITY_CREATE = 1
_SEVERITY_ID = {Severity.INFO: 1, Severity.LOW: 2, Severity.MEDIUM: 3, Severity.HIGH: 4, Severity.CRITICAL: 5}
_COMPLIANCE_STATUS = {
    Status.PASS: (1, "Pass"),
    Status.FAIL: (3, "Fail"),
    Status.NOT_APPLICABLE: (99, "Not Applicable"),
    Status.ERROR: (99, "Error"),
}


def _standards(references: tuple[str, ...]) -> list[str]:
    standards = set()
    for ref in references:
        if ref.startswith("MS."):
            standards.add("CISA SCuBA")
        elif ref.startswith("CIS"):
            standards.add(" ".join(ref.split()[:3]).replace("CIS M365", "CIS Microsoft 365 Foundations"))
    return sorted(standards)


def _event(scan: ScanResult, r: CheckResult, time_ms: int, product_version: str) -> dict[str, Any]:
    status_id, status = _COMPLIANCE_STATUS[r.status]
    return {
        "class_uid": _CLASS_UID,
        "class_name": "Compliance Finding",
        "category_uid": _CATEGORY_UID,
        "category_name": "Findings",
        "activity_id": _ACTIVITY_CREATE,
        "activity_name": "Create",
        "type_uid": _CLASS_UID * 100 + _ACTIVITY_CREATE,
        "time": time_ms,
        "severity_id": _SEVERITY_ID[r.meta.severity],
        "severity": r.meta.severity.value.capitalize(),
        "status_id": 1,
        "status": "New",
        "message": f"{r.meta.title}: {status}",
        "metadata": {
            "version": OCSF_VERSION,
            "product": {"name": "m365-posture", "vendor_name": "m365-posture", "version": product_version},
        },
        "cloud": {"provider": "Microsoft", "account": {"uid": scan.tenant.id, "name": scan.tenant.name}},
        "finding_info": {
            "uid": f"{scan.tenant.id}:{r.meta.id}",
            "title": r.meta.title,
            "desc": r.meta.rationale,
            "types": [r.meta.area],
        },
        "compliance": {
            "control": r.meta.id,
            "requirements": list(r.meta.references),
            "standards": _standards(r.meta.references),
            "status_id": status_id,
            "status": status,
            "status_detail": r.reason,
        },
        "remediation": {"desc": r.meta.remediation, "references": list(r.meta.references)},
        "resources": [{"uid": a, "type": "Microsoft 365 object"} for a in r.affected],
        "unmapped": {"evidence": r.evidence},
    }


def ocsf_findings(scan: ScanResult, product_version: str = "0.1.0") -> list[dict[str, Any]]:
    """One OCSF Compliance Finding per check result."""
    time_ms = int(scan.finished_at.timestamp() * 1000)
    return [_event(scan, r, time_ms, product_version) for r in scan.checks]
