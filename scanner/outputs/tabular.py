"""CSV: one row per check result, for spreadsheets and ticketing imports."""

from __future__ import annotations

import csv
import json
from typing import TextIO

from scanner._result import ScanResult

__all__ = ["CSV_COLUMNS", "write_csv"]

CSV_COLUMNS = (
    "tenant_id", "tenant_name", "check_id", "title", "area", "severity", "status", "reason",
    "references", "affected_count", "affected", "remediation", "evidence",
)


def write_csv(result: ScanResult, out: TextIO) -> None:
    """Write the header and one row per check. Lists are ``;``-joined; evidence is compact JSON."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in result.checks:
        writer.writerow([
            result.tenant.id, result.tenant.name, r.meta.id, r.meta.title, r.meta.area, r.meta.severity.value,
            r.status.value, r.reason or "", ";".join(r.meta.references), len(r.affected), ";".join(r.affected),
            r.meta.remediation, json.dumps(r.evidence, sort_keys=True, separators=(",", ":")),
        ])
