"""The scan document, schema ``posture.scan/1`` (CONTRACT.md "Scan document").

The listed fields are a contract: outside scripts read them. New fields may be added (``grade``,
``licences``, ``counts``, ``decision``...), none renamed or removed.
"""

from __future__ import annotations

from typing import Any

from scanner._result import CheckResult, ScanResult

__all__ = ["SCHEMA", "check_entry", "scan_document"]

SCHEMA = "posture.scan/1"


def check_entry(result: CheckResult) -> dict[str, Any]:
    meta = result.meta
    return {
        "id": meta.id,
        "title": meta.title,
        "area": meta.area,
        "severity": meta.severity.value,
        "status": result.status.value,
        "reason": result.reason,
        "references": list(meta.references),
        "evidence": result.evidence,
        "affected": list(result.affected),
        "remediation": meta.remediation,
        "rationale": meta.rationale,
    }


def scan_document(result: ScanResult) -> dict[str, Any]:
    """The scan as one JSON-ready dict."""
    return {
        "schema": SCHEMA,
        "tenant": {"id": result.tenant.id, "name": result.tenant.name, "default_domain": result.tenant.default_domain},
        "status": result.status,
        "score": result.score,
        "grade": result.grade,
        "coverage": result.coverage,
        "error": result.error,
        "licences": sorted(g.value for g in result.gates),
        "counts": result.counts(),
        "started_at": result.started_at.isoformat(),
        "finished_at": result.finished_at.isoformat(),
        "checks": [check_entry(r) for r in result.checks],
        "environment": result.environment,
        "stats": {
            "requests": result.stats.requests,
            "duration_s": result.stats.duration_s,
            "cpu_s": result.stats.cpu_s,
            "retries": result.stats.retries,
            "objects": result.stats.objects,
        },
    }
